using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// A peer that vanishes without a FIN: two hosts (network namespaces) joined by a veth pair, whose
/// far side is taken down while the link is up, so nothing more arrives — not even a reset. With
/// --tcp-timeout the connect side must notice, give the link up and, once the path is back,
/// reconnect; the listen side takes the new connection in place of the dead one and traffic flows.
/// </summary>
[Trait("Requires", "root")]
public sealed class HalfOpenLinkTests
{
    private const string ConnectHost = "10.232.0.1";
    private const string ListenHost = "10.232.0.2";

    [SkippableFact]
    public async Task A_peer_that_vanishes_without_fin_is_detected_and_the_connect_side_reconnects()
    {
        using var hostX = new NetworkNamespace("x");
        using var hostY = new NetworkNamespace("y");
        hostX.LinkTo(hostY, ConnectHost, ListenHost);

        using var appX = hostX.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, 5001)));
        using var appY = hostY.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, 5001)));
        var entry = new IPEndPoint(IPAddress.Loopback, 6000);
        using var listen = TunnelProcess.StartIn(hostY, "-l", $"{ListenHost}:7878", "-u", "6000", "-p", "5001", "--tcp-timeout", "2");
        await listen.WaitForLineAsync("listening on tcp");
        using var connect = TunnelProcess.StartIn(hostX, "-t", $"{ListenHost}:7878", "-u", "6000", "-p", "5001", "--tcp-timeout", "2");
        await connect.WaitForLineAsync("link up: connected");
        await VerifiedExchange.RunAsync(appX, entry, appY, entry, VerifiedExchange.MixedSizes(20, 1));

        hostY.SetLink(up: false);
        // Data left unacknowledged is what TCP_USER_TIMEOUT watches; keepalive probes cover an idle link.
        appX.SendTo(entry, "into the void"u8);
        var down = await connect.WaitForLineAsync("link down");
        Assert.True(down.Contains("timed out", StringComparison.OrdinalIgnoreCase), down);
        Assert.False(connect.HasExited);

        hostY.SetLink(up: true);
        await connect.WaitForLineAsync("link up: connected", occurrence: 2);
        await listen.WaitForLineAsync("link up: accepted", occurrence: 2);
        await Task.WhenAll(
            VerifiedExchange.RunAsync(appX, entry, appY, entry, VerifiedExchange.MixedSizes(50, 2)),
            VerifiedExchange.RunAsync(appY, entry, appX, entry, VerifiedExchange.MixedSizes(50, 3)));
    }
}
