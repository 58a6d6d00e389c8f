using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// Interop with Debian's udptunnel (RFC 4571 framing, u16be) in both roles. udptunnel binds the UDP
/// port it sends to, so it gets a host of its own: namespace U at 10.231.0.1, joined by veth to
/// namespace A (10.231.0.2), where app 1, the published binary and app 2 run:
///   app1 (10.231.0.2:5000) ⇄ udptunnel (U, port 5000) ⇄ TCP ⇄ udp-over-tcp (A) ⇄ app2 (127.0.0.1:6001)
/// </summary>
[Trait("Requires", "root")]
public sealed class UdptunnelInteropTests
{
    private const string UdptunnelHost = "10.231.0.1";
    private const string AppHost = "10.231.0.2";

    [SkippableFact]
    public Task Udptunnel_server_with_udp_over_tcp_client() => RunAsync(udptunnelIsServer: true);

    [SkippableFact]
    public Task Udptunnel_client_with_udp_over_tcp_server() => RunAsync(udptunnelIsServer: false);

    private static async Task RunAsync(bool udptunnelIsServer)
    {
        if (!File.Exists("/usr/bin/udptunnel"))
        {
            throw new InvalidOperationException("/usr/bin/udptunnel is missing: apt-get install udptunnel (.ci/run does)");
        }

        using var hostU = new NetworkNamespace("u");
        using var hostA = new NetworkNamespace("a");
        hostU.LinkTo(hostA, UdptunnelHost, AppHost);

        using var app1 = hostA.Create(() => new UdpApp(new IPEndPoint(IPAddress.Parse(AppHost), 5000)));
        using var app2 = hostA.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, 6001)));
        var ours = new[] { "--framing", "u16be", "-u", "127.0.0.1:6000", "-p", "127.0.0.1:6001" };

        TunnelProcess udptunnel, tunnel;
        if (udptunnelIsServer)
        {
            udptunnel = TunnelProcess.StartProgram(hostU.Wrap("udptunnel", "-s", "7878", "-v", $"{AppHost}/5000"));
            await udptunnel.WaitForLineAsync("Listening for TCP connections");
            tunnel = TunnelProcess.StartIn(hostA, ["-t", $"{UdptunnelHost}:7878", .. ours]);
            await tunnel.WaitForLineAsync("link up: connected");
            await udptunnel.WaitForLineAsync("TCP connection from");
        }
        else
        {
            tunnel = TunnelProcess.StartIn(hostA, ["-l", $"{AppHost}:7878", .. ours]);
            await tunnel.WaitForLineAsync("listening on tcp");
            udptunnel = TunnelProcess.StartProgram(hostU.Wrap("udptunnel", "-c", $"{AppHost}/7878", "-v", $"{AppHost}/5000"));
            await tunnel.WaitForLineAsync("link up: accepted");
            await udptunnel.WaitForLineAsync("Connected TCP to");
        }

        using (udptunnel)
        using (tunnel)
        {
            var toUdptunnel = new IPEndPoint(IPAddress.Parse(UdptunnelHost), 5000);
            var toOurs = new IPEndPoint(IPAddress.Loopback, 6000);
            // Every size up to 65507 except 0: udptunnel takes an empty datagram for end of stream and
            // exits (tried by hand: it closed the link and stopped listening), so 0 becomes 1 here.
            var sizes = VerifiedExchange.MixedSizes(500, 7).Select(s => Math.Max(s, 1)).ToArray();
            await Task.WhenAll(
                // One at a time towards udptunnel's UDP socket too: it keeps the OS default receive
                // buffer (about 208 KB), which four 64 KB datagrams in flight overflow (seen in CI).
                VerifiedExchange.RunAsync(app1, toUdptunnel, app2, new IPEndPoint(IPAddress.Loopback, 6000), sizes, window: 1),
                // udptunnel sends from a port of its own (it does not bond ports), and it handles one
                // frame per TCP read, leaving the rest in its buffer until more bytes arrive, so frames
                // towards it go one at a time (a burst of 10 delivered 1 when tried by hand).
                VerifiedExchange.RunAsync(app2, toOurs, app1, expectedSource: null, sizes, window: 1));
        }
    }
}
