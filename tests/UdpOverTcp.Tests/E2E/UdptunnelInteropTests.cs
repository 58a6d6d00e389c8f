using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// Interop with Debian's udptunnel (RFC 4571 framing, u16be) in both roles, all on loopback.
/// udptunnel binds the UDP port it sends to (0.0.0.0:P, with SO_REUSEADDR), so app 1 binds the same
/// port on another loopback address, 127.0.0.2:P, and the kernel tells them apart:
///   app1 (127.0.0.2:P) ⇄ udptunnel (*:P) ⇄ TCP ⇄ udp-over-tcp ⇄ app2 (127.0.0.1)
/// </summary>
[EndToEndTest]
public sealed class UdptunnelInteropTests
{
    [Fact]
    public Task Udptunnel_server_with_udp_over_tcp_client() => RunAsync(udptunnelIsServer: true);

    [Fact]
    public Task Udptunnel_client_with_udp_over_tcp_server() => RunAsync(udptunnelIsServer: false);

    private static async Task RunAsync(bool udptunnelIsServer)
    {
        if (!File.Exists("/usr/bin/udptunnel"))
        {
            throw new InvalidOperationException("/usr/bin/udptunnel is missing: apt-get install udptunnel (.ci/run does)");
        }

        int udptunnelPort = FreePort.Udp(), tcpPort = FreePort.Tcp();
        using var app1 = new UdpApp(new IPEndPoint(IPAddress.Parse("127.0.0.2"), udptunnelPort), reuseAddress: true);
        using var app2 = new UdpApp();
        int oursPort = FreePort.Udp();
        var ours = new[] { "--framing", "u16be", "-u", $"127.0.0.1:{oursPort}", "-p", app2.EndPoint.ToString() };

        TunnelProcess udptunnel, tunnel;
        if (udptunnelIsServer)
        {
            udptunnel = TunnelProcess.StartProgram("udptunnel", "-s", tcpPort.ToString(), "-v", $"127.0.0.2/{udptunnelPort}");
            await udptunnel.WaitForLineAsync("Listening for TCP connections");
            tunnel = TunnelProcess.Start(["-t", $"127.0.0.1:{tcpPort}", .. ours]);
            await tunnel.WaitForLineAsync("link up: connected");
            await udptunnel.WaitForLineAsync("TCP connection from");
        }
        else
        {
            tunnel = TunnelProcess.Start(["-l", $"127.0.0.1:{tcpPort}", .. ours]);
            await tunnel.WhenReadyAsync();
            udptunnel = TunnelProcess.StartProgram("udptunnel", "-c", $"127.0.0.1/{tcpPort}", "-v", $"127.0.0.2/{udptunnelPort}");
            await tunnel.WaitForLineAsync("link up: accepted");
            await udptunnel.WaitForLineAsync("Connected TCP to");
        }

        using (udptunnel)
        using (tunnel)
        {
            var toUdptunnel = new IPEndPoint(IPAddress.Loopback, udptunnelPort);
            var toOurs = new IPEndPoint(IPAddress.Loopback, oursPort);
            // Every size up to 65507 except 0: udptunnel takes an empty datagram for end of stream and
            // exits (tried by hand: it closed the link and stopped listening), so 0 becomes 1 here.
            var sizes = VerifiedExchange.MixedSizes(500, 7).Select(s => Math.Max(s, 1)).ToArray();
            await Task.WhenAll(
                // One at a time towards udptunnel's UDP socket too: it keeps the OS default receive
                // buffer (about 208 KB), which four 64 KB datagrams in flight overflow (seen in CI).
                VerifiedExchange.RunAsync(app1, toUdptunnel, app2, toOurs, sizes, window: 1),
                // udptunnel sends from a port of its own (it does not bond ports), and it handles one
                // frame per TCP read, leaving the rest in its buffer until more bytes arrive, so frames
                // towards it go one at a time (a burst of 10 delivered 1 when tried by hand).
                VerifiedExchange.RunAsync(app2, toOurs, app1, expectedSource: null, sizes, window: 1));
        }
    }
}
