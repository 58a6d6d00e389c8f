using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The connect side's set-up with the published binary: the connect runs as a blocking call on a
/// thread of its own (so the link can use its threaded loops), cut short by --connect-timeout or by a
/// stop. A silent host is stood in for by a loopback listener whose accept queue is full: Linux then
/// drops further SYNs, so a connect hangs exactly as it would towards a host that never answers.
/// </summary>
[EndToEndTest]
public sealed class ConnectSetupTests
{
    [Fact]
    public async Task A_refused_connect_is_logged_and_retried()
    {
        int tcpPort = FreePort.Tcp();   // nothing listens there
        using var app = new UdpApp();
        var (tunnel, _) = StartConnectSide(tcpPort, app);
        using var _ = tunnel;

        var line = await tunnel.WaitForLineAsync($"connect to 127.0.0.1:{tcpPort} failed");
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
        await tunnel.WaitForLineAsync($"connect to 127.0.0.1:{tcpPort} failed", occurrence: 2);
        Assert.False(tunnel.HasExited);
    }

    [Fact]
    public async Task A_hanging_connect_times_out_then_gets_through_once_the_listener_has_room()
    {
        using var listener = FullListener(out var filler);
        using (filler)
        {
            using var app = new UdpApp();
            // 2 s, not 1: a dropped SYN is sent again after 1 s, and at a 1 s deadline that second SYN can
            // get through just as the attempt is abandoned, leaving the test a connection that is reset.
            var (tunnel, udpPort) = StartConnectSide(Port(listener), app, "--connect-timeout", "2");
            using var _ = tunnel;

            await tunnel.WaitForLineAsync("failed: timed out; retrying in");

            (await listener.AcceptAsync().Within("the filler to be accepted")).Dispose();
            using var accepted = await listener.AcceptAsync().Within("the tunnel's connection");
            await tunnel.WaitForLineAsync("link up: connected");
            // The link works: a datagram from the app arrives framed (u32 little-endian length first).
            app.SendTo(new IPEndPoint(IPAddress.Loopback, udpPort), "through"u8);
            Assert.Equal("through"u8.ToArray(), await RawPeer.ReadFrameAsync(accepted));
        }
    }

    [Fact]
    public async Task A_stop_during_a_hanging_connect_exits_cleanly()
    {
        using var listener = FullListener(out var filler);
        using (filler)
        {
            using var app = new UdpApp();
            var (tunnel, _) = StartConnectSide(Port(listener), app, "--connect-timeout", "3600");
            using var _ = tunnel;
            await tunnel.WhenReadyAsync();

            tunnel.Terminate();
            Assert.Equal(0, await tunnel.WaitForExitAsync());
            Assert.DoesNotContain(tunnel.Lines, l => l.Contains("ERROR", StringComparison.Ordinal));
        }
    }

    private static (TunnelProcess Tunnel, int UdpPort) StartConnectSide(int tcpPort, UdpApp app, params string[] extra)
    {
        int udpPort = FreePort.Udp();
        var tunnel = TunnelProcess.Start(
            ["--tcp-connect", tcpPort.ToString(), "--udp-bind", udpPort.ToString(), "--udp-sendto", app.EndPoint.Port.ToString(), .. extra]);
        return (tunnel, udpPort);
    }

    /// <summary>A listener with backlog 0 and one connection it never accepts: Linux's accept queue is full.</summary>
    private static Socket FullListener(out Socket filler)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        filler.Connect(listener.LocalEndPoint!);
        return listener;
    }

    private static int Port(Socket listener) => ((IPEndPoint)listener.LocalEndPoint!).Port;
}
