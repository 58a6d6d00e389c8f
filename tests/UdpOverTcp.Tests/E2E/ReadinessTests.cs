using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>The published binary as a systemd Type=notify service: READY=1 once it is up, STOPPING=1 on SIGTERM.</summary>
[EndToEndTest]
public class ReadinessTests
{
    [Fact]
    public async Task The_listen_side_is_ready_when_its_ports_answer_and_says_so_with_its_addresses()
    {
        using var app = new UdpApp();
        using var tunnel = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", app.EndPoint.Port.ToString());

        string status = await tunnel.WhenReadyAsync();

        // The status is the start-up line, with the ports the OS picked; both answer from now on.
        Assert.Contains(tunnel.Lines, l => l.EndsWith(" INFO  " + status, StringComparison.Ordinal));
        var (tcp, udp) = SpawnedTunnels.ParseEndpoints(status);
        using var peer = await RawPeer.ConnectAsync(tcp.Port);
        await tunnel.WaitForLineAsync("link up: accepted");
        app.SendTo(udp, "ready"u8);
        Assert.Equal("ready"u8.ToArray(), await RawPeer.ReadFrameAsync(peer));

        tunnel.Terminate();
        await tunnel.WaitForNotificationAsync("STOPPING=1");
        Assert.Equal(0, await tunnel.WaitForExitAsync());
        Assert.Equal(2, tunnel.Notifications.Count);   // READY=1, then STOPPING=1, once each
    }

    [Fact]
    public async Task The_connect_side_is_ready_without_waiting_for_a_link()
    {
        // Nothing listens on the port: the link cannot come up, and readiness must not wait for it.
        using var tunnel = TunnelProcess.Start("-t", FreePort.Tcp().ToString(), "-u", "127.0.0.1:0", "-p", "9");

        string status = await tunnel.WhenReadyAsync();

        Assert.StartsWith("connecting to tcp 127.0.0.1:", status);
        Assert.DoesNotContain(tunnel.Lines, l => l.Contains("link up", StringComparison.Ordinal));
        tunnel.Terminate();
        Assert.Equal(0, await tunnel.WaitForExitAsync());
    }

    [Fact]
    public async Task A_tunnel_that_cannot_start_never_says_ready()
    {
        using var app = new UdpApp();   // holds the UDP port the tunnel asks for
        using var tunnel = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", app.EndPoint.ToString(), "-p", "9");

        Assert.Equal(1, await tunnel.WaitForExitAsync());
        Assert.Empty(tunnel.Notifications);
    }

    [Fact]
    public async Task Without_NOTIFY_SOCKET_it_runs_and_stops_as_before()
    {
        using var tunnel = TunnelProcess.StartProgram(PublishedBinary.Path, "-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9");

        await tunnel.WaitForLineAsync("listening on tcp");
        tunnel.Terminate();

        Assert.Equal(0, await tunnel.WaitForExitAsync());
        Assert.DoesNotContain(tunnel.Lines, l => l.Contains("NOTIFY_SOCKET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_NOTIFY_SOCKET_nobody_listens_on_costs_one_debug_line_and_nothing_else()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"uot-no-such-notify-{Guid.NewGuid():N}");
        using var tunnel = TunnelProcess.StartWithEnvironment(
            new Dictionary<string, string> { [TunnelProcess.NotifySocketVariable] = missing },
            "-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9");

        await tunnel.WaitForLineAsync($"NOTIFY_SOCKET: cannot notify {missing}");
        tunnel.Terminate();

        Assert.Equal(0, await tunnel.WaitForExitAsync());
        Assert.Single(tunnel.Lines, l => l.Contains("NOTIFY_SOCKET", StringComparison.Ordinal));
        Assert.DoesNotContain(tunnel.Lines, l => l.Contains(" ERROR ", StringComparison.Ordinal) || l.Contains(" WARN ", StringComparison.Ordinal));
    }
}
