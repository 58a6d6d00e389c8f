using System.Net;
using System.Text;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Links.Connect.Proxy;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

/// <summary>The HTTP CONNECT handshake, byte by byte, against scripted proxies: what is sent, and every kind of answer.</summary>
[InProcessTest]
public sealed class HttpConnectProxyTests
{
    private static readonly HostNameEndPoint Target = new("vpn.example.org", 443);

    [Fact]
    public async Task A_200_opens_the_tunnel_and_leaves_what_follows_the_header_to_the_link()
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        string? request = null;
        var error = await proxy.RunAsync(
            s => HttpConnectProxy.Connect(s, Target, null, null),
            async server =>
            {
                request = await ScriptedProxy.ReadHeaderAsync(server);
                await ScriptedProxy.SendAsync(server, "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\nLINKDATA");
            });
        Assert.Null(error);
        Assert.Equal("CONNECT vpn.example.org:443 HTTP/1.1\r\nHost: vpn.example.org:443\r\n\r\n", request);
        Assert.Equal("LINKDATA", proxy.ReadLeftover(8));
    }

    [Fact]
    public async Task Credentials_go_as_basic_authentication()
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        string? request = null;
        var error = await proxy.RunAsync(
            s => HttpConnectProxy.Connect(s, Target, "alice", "s@cret:x"),
            async server =>
            {
                request = await ScriptedProxy.ReadHeaderAsync(server);
                await ScriptedProxy.SendAsync(server, "HTTP/1.0 200 OK\r\n\r\n");
            });
        Assert.Null(error);
        string expected = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s@cret:x"));
        Assert.Contains($"\r\nProxy-Authorization: Basic {expected}\r\n", request);
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1:443")]
    [InlineData("2001:db8::1", "[2001:db8::1]:443")]
    public void Address_targets_are_written_as_authorities(string address, string authority)
    {
        string request = Encoding.ASCII.GetString(HttpConnectProxy.Request(new IPEndPoint(IPAddress.Parse(address), 443), null, null));
        Assert.StartsWith($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n", request);
    }

    [Theory]
    [InlineData("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", null, "the proxy refused: \"HTTP/1.1 403 Forbidden\"")]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", null, "the proxy wants credentials (give http://USER:PASSWORD@HOST:PORT): \"HTTP/1.1 407 Proxy Authentication Required\"")]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "alice", "the proxy refused the credentials: \"HTTP/1.1 407 Proxy Authentication Required\"")]
    [InlineData("HTTP/1.0 401 Unauthorized\r\n\r\n", "alice", "the proxy refused the credentials: \"HTTP/1.0 401 Unauthorized\"")]
    [InlineData("HTTP/1.1 502 Bad Gateway\n\n", null, "the proxy refused: \"HTTP/1.1 502 Bad Gateway\"")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", null, "the proxy's answer is not HTTP (\"SSH-2.0-OpenSSH_9.2\"; a SOCKS proxy? then give socks5://)")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n", null, "the proxy's status line is malformed: \"HTTP/1.1 2x0 OK\"")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", null, "the proxy's status line is malformed: \"HTTP/1.1 2000 OK\"")]
    [InlineData("\r\n\r\n", null, "the proxy's answer has no status line")]
    [InlineData("HTTP/1.1 403 \u0007Bell\r\n\r\n", null, "the proxy refused: \"HTTP/1.1 403 ?Bell\"")]
    public async Task Refusals_and_bad_answers_say_what_the_proxy_said(string answer, string? user, string message)
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => HttpConnectProxy.Connect(s, Target, user, user is null ? null : "secret"),
            async server =>
            {
                await ScriptedProxy.ReadHeaderAsync(server);
                await ScriptedProxy.SendAsync(server, answer);
            });
        Assert.Equal(message, Assert.IsType<ProxyException>(error).Message);
    }

    [Theory]
    [InlineData("", "the proxy closed the connection without answering")]
    [InlineData("HTTP/1.1 200 Conn", "the proxy closed the connection in the middle of its answer (after 17 bytes)")]
    [InlineData("HTTP/1.1 200 OK\r\n", "the proxy closed the connection in the middle of its answer (after 17 bytes)")]
    public async Task A_proxy_that_closes_early_is_reported(string answer, string message)
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => HttpConnectProxy.Connect(s, Target, null, null),
            async server =>
            {
                await ScriptedProxy.ReadHeaderAsync(server);
                await ScriptedProxy.SendAsync(server, answer);
                server.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
        Assert.Equal(message, Assert.IsType<ProxyException>(error).Message);
    }

    [Fact]
    public async Task A_header_without_end_is_cut_off()
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => HttpConnectProxy.Connect(s, Target, null, null),
            async server =>
            {
                await ScriptedProxy.ReadHeaderAsync(server);
                await ScriptedProxy.SendAsync(server, "HTTP/1.1 200 OK\r\n" + new string('x', HttpConnectProxy.MaxHeaderBytes));
            });
        Assert.Equal($"the proxy's answer has no end of header within {HttpConnectProxy.MaxHeaderBytes} bytes", Assert.IsType<ProxyException>(error).Message);
    }
}
