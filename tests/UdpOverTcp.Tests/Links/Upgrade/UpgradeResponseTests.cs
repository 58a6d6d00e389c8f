using System.Text;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Upgrade;

/// <summary>The listen side's answers as bytes, and the connect side's check of the answer it gets.</summary>
[UnitTest]
public sealed class UpgradeResponseTests
{
    private static string? Problem(string text)
    {
        var head = new HttpHead();
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        bytes.CopyTo(head.Free);
        head.Take(bytes.Length);
        return UpgradeResponse.Problem(head);
    }

    [Fact]
    public void The_answers_read_as_a_plain_web_servers()
    {
        Assert.Equal("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n", Encoding.ASCII.GetString(UpgradeResponse.SwitchingProtocols));
        Assert.Equal("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n", Encoding.ASCII.GetString(UpgradeResponse.NotFound));
        Assert.Equal("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n", Encoding.ASCII.GetString(UpgradeResponse.BadRequest));
        Assert.Equal("HTTP/1.1 426 Upgrade Required\r\nUpgrade: UoTLV/1\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: close\r\n\r\nUpgrade Required\n", Encoding.ASCII.GetString(UpgradeResponse.UpgradeRequired));
        foreach (var answer in new[] { UpgradeResponse.NotFound, UpgradeResponse.BadRequest, UpgradeResponse.UpgradeRequired, UpgradeResponse.HeadTooLarge })
        {
            Assert.DoesNotContain("Server", Encoding.ASCII.GetString(answer), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 20:00:00 GMT\r\nconnection: upgrade\r\nupgrade: uotlv/1\r\n\r\n")]   // nginx's
    [InlineData("HTTP/1.1 101 \r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n")]   // an empty reason
    public void The_101_with_both_fields_is_accepted(string answer) => Assert.Null(Problem(answer));

    [Theory]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "404 Not Found")]
    [InlineData("HTTP/1.1 502 Bad Gateway\r\n\r\n", "502 Bad Gateway")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n", "200 OK")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: UoTLV/1\r\n\r\n", "101 Switching Protocols without Connection: Upgrade")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", "101 Switching Protocols without Upgrade: UoTLV/1")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "101 Switching Protocols without Upgrade: UoTLV/1")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", "the answer is not an HTTP/1.1 response")]
    [InlineData("HTTP/1.1 1011 x\r\n\r\n", "the answer is not an HTTP/1.1 response")]
    public void Anything_else_is_refused_with_what_the_server_said(string answer, string problem) => Assert.Equal(problem, Problem(answer));

    [Fact]
    public void A_bare_line_feed_answer_is_not_http() =>
        Assert.Equal("the answer is not an HTTP/1.1 response", Problem("HTTP/1.1 101 Switching Protocols\nConnection: Upgrade\n\n"));
}
