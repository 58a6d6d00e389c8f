using System.Net;
using System.Text;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Links.Connect.Proxy;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

/// <summary>The SOCKS5 handshake (RFC 1928, RFC 1929), byte by byte, against scripted proxies.</summary>
[InProcessTest]
public sealed class Socks5ProxyTests
{
    private static readonly HostNameEndPoint Target = new("vpn.example.org", 443);

    /// <summary>The CONNECT request for <see cref="Target"/>: a name (type 3) for the proxy to resolve, port 443 big-endian.</summary>
    private static readonly byte[] NameRequest = [5, 1, 0, 3, 15, .. Encoding.ASCII.GetBytes("vpn.example.org"), 1, 187];

    private static readonly byte[] Succeeded = [5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90];

    [Fact]
    public async Task Without_credentials_the_name_goes_to_the_proxy_and_what_follows_is_left_to_the_link()
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        byte[]? greeting = null, request = null;
        var error = await proxy.RunAsync(
            s => Socks5Proxy.Connect(s, Target, null, null),
            async server =>
            {
                greeting = await ScriptedProxy.ReadAsync(server, 3);
                await ScriptedProxy.SendAsync(server, [5, 0]);
                request = await ScriptedProxy.ReadAsync(server, NameRequest.Length);
                await ScriptedProxy.SendAsync(server, [.. Succeeded, .. "LINK"u8.ToArray()]);
            });
        Assert.Null(error);
        Assert.Equal([5, 1, 0], greeting);
        Assert.Equal(NameRequest, request);
        Assert.Equal("LINK", proxy.ReadLeftover(4));
    }

    [Theory]
    [InlineData(new byte[] { 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90 })]
    [InlineData(new byte[] { 5, 0, 0, 3, 5, (byte)'p', (byte)'r', (byte)'o', (byte)'x', (byte)'y', 0x1f, 0x90 })]
    public async Task With_credentials_user_and_password_are_sent_and_any_bound_address_type_is_read_whole(byte[] reply)
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        byte[]? greeting = null, authentication = null;
        var error = await proxy.RunAsync(
            s => Socks5Proxy.Connect(s, Target, "alice", "secret"),
            async server =>
            {
                greeting = await ScriptedProxy.ReadAsync(server, 4);
                await ScriptedProxy.SendAsync(server, [5, 2]);
                authentication = await ScriptedProxy.ReadAsync(server, 1 + 1 + 5 + 1 + 6);
                await ScriptedProxy.SendAsync(server, [1, 0]);
                await ScriptedProxy.ReadAsync(server, NameRequest.Length);
                await ScriptedProxy.SendAsync(server, [.. reply, .. "LINK"u8.ToArray()]);
            });
        Assert.Null(error);
        Assert.Equal([5, 2, 0, 2], greeting);
        Assert.Equal([1, 5, .. "alice"u8.ToArray(), 6, .. "secret"u8.ToArray()], authentication);
        Assert.Equal("LINK", proxy.ReadLeftover(4));
    }

    [Fact]
    public void Address_targets_use_their_address_types()
    {
        Assert.Equal([5, 1, 0, 1, 192, 0, 2, 1, 0, 80], Socks5Proxy.Request(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 80)));
        Assert.Equal([5, 1, 0, 4, .. IPAddress.IPv6Loopback.GetAddressBytes(), 0xff, 0xff], Socks5Proxy.Request(new IPEndPoint(IPAddress.IPv6Loopback, 65535)));
    }

    [Theory]
    [InlineData(null, new byte[] { 5, 0xff }, "the proxy wants authentication (give socks5://USER:PASSWORD@HOST:PORT)")]
    [InlineData("alice", new byte[] { 5, 0xff }, "the proxy accepts neither no authentication nor user/password")]
    [InlineData(null, new byte[] { 5, 2 }, "the proxy chose authentication method 2, which was not offered")]
    [InlineData(null, new byte[] { 4, 0 }, "the proxy's answer is not SOCKS5 (version byte 4)")]
    [InlineData(null, new byte[] { (byte)'H', (byte)'T' }, "the proxy answers in HTTP, not SOCKS5 (an HTTP proxy? then give http://)")]
    [InlineData(null, new byte[] { 5 }, "the proxy closed the connection in the middle of its answer (after 1 bytes)")]
    [InlineData(null, new byte[0], "the proxy closed the connection without answering")]
    public async Task Bad_method_answers(string? user, byte[] answer, string message)
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => Socks5Proxy.Connect(s, Target, user, user is null ? null : "secret"),
            async server =>
            {
                await ScriptedProxy.ReadAsync(server, user is null ? 3 : 4);
                await ScriptedProxy.SendAsync(server, answer);
                server.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
        Assert.Equal(message, Assert.IsType<ProxyException>(error).Message);
    }

    [Fact]
    public async Task Refused_credentials()
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => Socks5Proxy.Connect(s, Target, "alice", "wrong"),
            async server =>
            {
                await ScriptedProxy.ReadAsync(server, 4);
                await ScriptedProxy.SendAsync(server, [5, 2]);
                await ScriptedProxy.ReadAsync(server, 1 + 1 + 5 + 1 + 5);
                await ScriptedProxy.SendAsync(server, [1, 1]);
                server.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
        Assert.Equal("the proxy refused the user name and password", Assert.IsType<ProxyException>(error).Message);
    }

    [Theory]
    [InlineData(new byte[] { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 }, "the proxy could not connect: connection refused (5)")]
    [InlineData(new byte[] { 5, 2, 0, 1 }, "the proxy could not connect: connection not allowed by its rules (2)")]
    [InlineData(new byte[] { 5, 4, 0 }, "the proxy closed the connection in the middle of its answer (after 3 bytes)")]
    [InlineData(new byte[] { 5, 0, 0, 1, 127, 0 }, "the proxy closed the connection in the middle of its answer (after 6 bytes)")]
    [InlineData(new byte[] { 5, 0, 0, 3, 9, (byte)'x' }, "the proxy closed the connection in the middle of its answer (after 6 bytes)")]
    [InlineData(new byte[] { 5, 0, 0, 7, 0, 0 }, "the proxy's reply has an unknown address type 7")]
    [InlineData(new byte[] { 9, 0, 0, 1 }, "the proxy's answer is not SOCKS5 (version byte 9)")]
    public async Task Bad_or_refusing_connect_replies(byte[] reply, string message)
    {
        using var proxy = await ScriptedProxy.ConnectAsync();
        var error = await proxy.RunAsync(
            s => Socks5Proxy.Connect(s, Target, null, null),
            async server =>
            {
                await ScriptedProxy.ReadAsync(server, 3);
                await ScriptedProxy.SendAsync(server, [5, 0]);
                await ScriptedProxy.ReadAsync(server, NameRequest.Length);
                await ScriptedProxy.SendAsync(server, reply);
                server.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
        Assert.Equal(message, Assert.IsType<ProxyException>(error).Message);
    }
}
