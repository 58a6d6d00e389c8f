using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// A peer that vanishes without a FIN: both ends on the loopback of a network namespace of the
/// test's own, where an nftables rule then drops every packet of the link — not even a reset gets
/// through. With --tcp-timeout the connect side must notice, give the link up and, once the path is
/// back, reconnect; the listen side takes the new connection in place of the dead one.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed class HalfOpenLinkTests
{
    private const int TcpPort = 7878;

    [SkippableFact]
    public async Task A_peer_that_vanishes_without_fin_is_detected_and_the_connect_side_reconnects()
    {
        using var host = new NetworkNamespace("halfopen");
        using var appX = host.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, 5001)));
        using var appY = host.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, 5002)));
        var xEntry = new IPEndPoint(IPAddress.Loopback, 6001);
        var yEntry = new IPEndPoint(IPAddress.Loopback, 6002);
        using var listen = TunnelProcess.StartIn(host, "-l", $"127.0.0.1:{TcpPort}", "-u", "6002", "-p", "5002", "--tcp-timeout", "2");
        await listen.WhenReadyAsync();
        using var connect = TunnelProcess.StartIn(host, "-t", TcpPort.ToString(), "-u", "6001", "-p", "5001", "--tcp-timeout", "2", "--connect-timeout", "2");
        await connect.WaitForLineAsync("link up: connected");
        await VerifiedExchange.RunAsync(appX, xEntry, appY, yEntry, VerifiedExchange.MixedSizes(20, 1));

        host.SilenceTcpPort(TcpPort, silent: true);
        // Data left unacknowledged is what TCP_USER_TIMEOUT watches; keepalive probes cover an idle link.
        appX.SendTo(xEntry, "into the void"u8);
        var down = await connect.WaitForLineAsync("link down");
        Assert.True(down.Contains("timed out", StringComparison.OrdinalIgnoreCase), down);
        Assert.False(connect.HasExited);

        host.SilenceTcpPort(TcpPort, silent: false);
        await connect.WaitForLineAsync("link up: connected", occurrence: 2);
        // The listen side takes the new connection either as a fresh link (it had timed the old one
        // out too) or as a replacement of the old one: wait for whichever it logs.
        await await Task.WhenAny(
            listen.WaitForLineAsync("link up: accepted", occurrence: 2),
            listen.WaitForLineAsync("replaces link from"));
        await Task.WhenAll(
            VerifiedExchange.RunAsync(appX, xEntry, appY, yEntry, VerifiedExchange.MixedSizes(50, 2)),
            VerifiedExchange.RunAsync(appY, yEntry, appX, xEntry, VerifiedExchange.MixedSizes(50, 3)));
    }
}
