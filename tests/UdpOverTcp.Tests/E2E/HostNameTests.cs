using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// --tcp-connect NAME:PORT with the published binary, the name in a private /etc/hosts: resolved again
/// before every dial, so when the entry changes and the listen side comes back on the new address,
/// the connect side follows without a restart. A name that does not resolve is a failure that is
/// logged and retried, never an exit. --udp-sendto takes a name too, resolved at start.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed class HostNameTests
{
    [SkippableFact]
    public async Task The_connect_side_follows_a_changed_name_without_a_restart()
    {
        using var hosts = new PrivateHosts();
        hosts.Set("peer.uot.test", "127.0.0.2");
        hosts.Set("app-x.uot.test", "127.0.0.1");
        await using var tunnels = new ConnectSideTunnels();
        await tunnels.StartListenSideAsync("127.0.0.2");
        tunnels.StartConnectSide(
            ["--tcp-connect", $"peer.uot.test:{tunnels.TcpPort}"],
            args => TunnelProcess.StartProgram(hosts.Wrap(PublishedBinary.Path, args)),
            sendTo: $"app-x.uot.test:{tunnels.AppX.EndPoint.Port}");
        var connectSide = tunnels.ConnectSide!;

        string up = await tunnels.LinkUpAsync();
        Assert.Contains($"link up: connected to peer.uot.test:{tunnels.TcpPort} (127.0.0.2:{tunnels.TcpPort})", up);
        await tunnels.ExchangeBothWaysAsync(200, seed: 1);

        // The record changes; the listen side moves to the new address.
        hosts.Set("peer.uot.test", "127.0.0.3");
        await tunnels.StartListenSideAsync("127.0.0.3");
        up = await tunnels.LinkUpAsync(occurrence: 2);
        Assert.Contains($"link up: connected to peer.uot.test:{tunnels.TcpPort} (127.0.0.3:{tunnels.TcpPort})", up);
        await tunnels.ExchangeBothWaysAsync(200, seed: 2);

        Assert.Same(connectSide, tunnels.ConnectSide);
        Assert.False(connectSide.HasExited);
        Assert.Contains("peer.uot.test", await connectSide.RequestStatsAsync());
    }

    [SkippableFact]
    public async Task A_name_that_does_not_resolve_is_retried_and_followed_once_it_does()
    {
        using var hosts = new PrivateHosts();
        await using var tunnels = new ConnectSideTunnels();
        tunnels.StartConnectSide(
            ["--tcp-connect", $"later.uot.test:{tunnels.TcpPort}"],
            args => TunnelProcess.StartProgram(hosts.Wrap(PublishedBinary.Path, args)));
        var connectSide = tunnels.ConnectSide!;

        string failed = await connectSide.WaitForLineAsync($"connect to later.uot.test:{tunnels.TcpPort} failed: cannot resolve later.uot.test");
        Assert.Contains("WARN", failed);
        await connectSide.WaitForLineAsync("failed: cannot resolve later.uot.test", occurrence: 2);
        Assert.False(connectSide.HasExited);

        hosts.Set("later.uot.test", "127.0.0.1");
        await tunnels.StartListenSideAsync();
        await tunnels.LinkUpAsync();
        await tunnels.ExchangeBothWaysAsync(100, seed: 3);
    }

    [SkippableFact]
    public async Task An_unresolvable_udp_sendto_name_stops_the_start_with_one_line()
    {
        using var hosts = new PrivateHosts();
        var (code, _, stderr) = await TunnelProcess.RunProgramAsync(
            hosts.Wrap(PublishedBinary.Path, "--tcp-listen", "0", "--udp-bind", "0", "--udp-sendto", "nowhere.uot.test:5000"));
        Assert.Equal(1, code);
        var line = Assert.Single(stderr);
        Assert.Contains("cannot start: --udp-sendto: cannot resolve nowhere.uot.test", line);
    }
}
