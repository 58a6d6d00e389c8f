using System.Text;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Upgrade;

/// <summary>The listen side's judgement of an Upgrade request, and how much of the bytes the head takes.</summary>
[UnitTest]
public sealed class UpgradeRequestTests
{
    private const string Path = "/uot";

    /// <summary>Go's net/http client, as ProxyGuard's client sends it: User-Agent and Accept-Encoding among the fields.</summary>
    private const string GoRequest = "GET /uot HTTP/1.1\r\nHost: vpn.example.org:8080\r\nUser-Agent: proxyguard-client/2.0\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\nAccept-Encoding: gzip\r\n\r\n";

    private static HttpHead Take(string text, out int taken)
    {
        var head = new HttpHead();
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        bytes.CopyTo(head.Free);
        taken = head.Take(bytes.Length);
        return head;
    }

    private static UpgradeVerdict Judge(string text) => UpgradeRequest.Judge(Take(text, out _), Path);

    [Fact]
    public void Go_clients_request_is_upgraded() => Assert.Equal(UpgradeVerdict.Upgrade, Judge(GoRequest));

    [Fact]
    public void Our_own_request_is_upgraded_and_reads_as_specified()
    {
        string request = Encoding.ASCII.GetString(UpgradeRequest.Write("127.0.0.1:8080", "uot"));
        Assert.Equal("GET /uot HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n", request);
        Assert.Equal(UpgradeVerdict.Upgrade, Judge(request));
    }

    [Theory]
    [InlineData("GET /uot HTTP/1.1\r\nhost: h\r\nconnection: upgrade\r\nupgrade: uotlv/1\r\n\r\n")]   // nginx lowercases; any case
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // a list
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nConnection:Upgrade\r\nUpgrade: \t UoTLV/1 \t\r\n\r\n")]   // values trimmed
    [InlineData("GET /uot?client=1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // the query is not the path
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    public void Variants_a_client_or_a_proxy_may_send_are_upgraded(string request) => Assert.Equal(UpgradeVerdict.Upgrade, Judge(request));

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("GET /uot/ HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("GET /UOT HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("POST /other HTTP/1.1\r\nHost: h\r\n\r\n")]
    public void Another_path_is_not_found(string request) => Assert.Equal(UpgradeVerdict.NotFound, Judge(request));

    [Theory]
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\n\r\n")]   // a browser
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nUpgrade: UoTLV/1\r\n\r\n")]   // no Connection: Upgrade
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nConnection: close\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")]   // wrong token
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/2\r\n\r\n")]
    public void The_right_path_without_the_upgrade_to_UoTLV_is_told_upgrade_required(string request) =>
        Assert.Equal(UpgradeVerdict.UpgradeRequired, Judge(request));

    [Theory]
    [InlineData("PUT /uot HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // not GET
    [InlineData("GET /uot HTTP/1.0\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // not HTTP/1.1
    [InlineData("GET /uot HTTP/2.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /uot HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // no Host
    [InlineData("GET /uot HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("GET  /uot HTTP/1.1\r\nHost: h\r\n\r\n")]   // two spaces
    [InlineData("GET http://h/uot HTTP/1.1\r\nHost: h\r\n\r\n")]   // not origin-form
    [InlineData("GET /uot HTTP/1.1\r\nHost : h\r\n\r\n")]   // a space before the colon
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n")]   // obsolete line folding
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\rx\r\n\r\n")]   // a lone CR
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n")]
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // a body
    [InlineData("GET /uot HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\r\n\r\n")]   // a TLS hello's bytes, with a blank line to end them
    public void Malformed_or_not_an_upgrade_is_a_bad_request(string request) => Assert.Equal(UpgradeVerdict.BadRequest, Judge(request));

    [Fact]
    public void A_bare_line_feed_ends_the_head_at_once_as_a_bad_request()
    {
        var head = Take("GET /uot HTTP/1.1\nHost: h\n\nmore", out int taken);
        Assert.Equal(HeadState.BareLineFeed, head.State);
        Assert.Equal("GET /uot HTTP/1.1\n".Length, taken);
        Assert.Equal(UpgradeVerdict.BadRequest, UpgradeRequest.Judge(head, Path));
    }

    [Fact]
    public void Frame_bytes_after_the_head_are_not_taken()
    {
        byte[] frame = [0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'];
        var head = new HttpHead();
        byte[] bytes = [.. Encoding.ASCII.GetBytes(GoRequest), .. frame];
        bytes.CopyTo(head.Free);
        int taken = head.Take(bytes.Length);
        Assert.Equal(GoRequest.Length, taken);
        Assert.Equal(HeadState.Complete, head.State);
        Assert.Equal(UpgradeVerdict.Upgrade, UpgradeRequest.Judge(head, Path));
    }

    [Fact]
    public void A_head_that_arrives_a_byte_at_a_time_is_taken_whole()
    {
        var head = new HttpHead();
        foreach (byte b in Encoding.ASCII.GetBytes(GoRequest))
        {
            head.Free[0] = b;
            Assert.Equal(HeadState.Reading, head.State);
            Assert.Equal(1, head.Take(1));
        }

        Assert.Equal(UpgradeVerdict.Upgrade, UpgradeRequest.Judge(head, Path));
    }

    [Fact]
    public void A_head_with_no_end_within_8_KiB_is_too_large()
    {
        var head = new HttpHead();
        byte[] line = Encoding.ASCII.GetBytes("X-Filler: " + new string('x', 100) + "\r\n");
        int total = 0;
        while (head.State == HeadState.Reading)
        {
            int n = Math.Min(line.Length, head.Free.Length);
            line.AsSpan(0, n).CopyTo(head.Free);
            total += head.Take(n);
        }

        Assert.Equal(HeadState.TooLarge, head.State);
        Assert.Equal(HttpHead.MaxBytes, total);
        Assert.Equal(UpgradeVerdict.HeadTooLarge, UpgradeRequest.Judge(head, Path));
    }

    [Fact]
    public void An_unfinished_head_is_still_reading() =>
        Assert.Equal(HeadState.Reading, Take("GET /uot HTTP/1.1\r\nHost: h\r\n", out _).State);
}
