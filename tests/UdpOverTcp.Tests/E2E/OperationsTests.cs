using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>What an operator uses on a long-running tunnel: statistics, log levels, several listen addresses, SO_MARK.</summary>
[EndToEndTest]
public sealed class OperationsTests
{
    private const int Sigusr1 = 10;   // Linux

    [Fact]
    public async Task Stats_interval_prints_the_link_and_the_counters()
    {
        using var app = new UdpApp();
        int udpPort = FreePort.Udp();
        using var listen = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", $"127.0.0.1:{udpPort}", "-p", app.EndPoint.Port.ToString(), "--stats", "1");
        using var peer = await RawPeer.ConnectAsync(SpawnedTunnels.ParseEndpoints(await listen.WhenReadyAsync()).Tcp.Port);
        await listen.WaitForLineAsync("link up: accepted");

        await RawPeer.WriteFrameAsync(peer, "one"u8.ToArray());
        await app.ReceiveAsync();
        app.SendTo(new IPEndPoint(IPAddress.Loopback, udpPort), "two!"u8);
        await RawPeer.ReadFrameAsync(peer);

        var line = await listen.WaitForLineAsync("udp->tcp received 1 datagrams 4 bytes");
        Assert.Contains("stats: link 127.0.0.1:", line);
        Assert.Contains("tcp->udp 1 datagrams 3 bytes", line);
        Assert.Contains("links 1 established", line);
        // The kernel's figures for the link (TCP_INFO), after its uptime.
        Assert.Matches(@"stats: link 127\.0\.0\.1:\d+ up \d+\.\ds " + KernelFiguresPattern.Loopback + "; udp->tcp ", line);
    }

    [Theory]
    [InlineData("-v", "auto", true)]
    [InlineData("-v", "portable", true)]   // the engine's loops close the socket as the link is aborted: the figures are read before
    [InlineData("--log-level=info", "auto", false)]
    public async Task The_link_down_line_tells_what_the_kernel_saw_of_the_link_at_debug_level_only(string level, string dataPath, bool figures)
    {
        using var listen = TunnelProcess.StartWithEnvironment(
            new Dictionary<string, string> { ["UDP_OVER_TCP_IO"] = dataPath }, level, "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9");
        using (var peer = await RawPeer.ConnectAsync(SpawnedTunnels.ParseEndpoints(await listen.WhenReadyAsync()).Tcp.Port))
        {
            await listen.WaitForLineAsync("link up: accepted");
            await RawPeer.WriteFrameAsync(peer, "one"u8.ToArray());
        }

        var line = await listen.WaitForLineAsync("link down: ");
        const string Figures = "; " + KernelFiguresPattern.Loopback + "$";
        if (figures)
        {
            Assert.Matches(@"link down: 127\.0\.0\.1:\d+ closed by peer" + Figures, line);
        }
        else
        {
            Assert.EndsWith(" closed by peer", line);
        }
    }

    [Fact]
    public async Task Sigusr1_prints_the_statistics_line_on_demand()
    {
        using var tunnel = TunnelProcess.Start("-t", FreePort.Tcp().ToString(), "-u", "127.0.0.1:0", "-p", "9");
        await tunnel.WhenReadyAsync();   // the SIGUSR1 handler is in place from here
        tunnel.Signal(Sigusr1);
        var line = await tunnel.WaitForLineAsync("stats: no link;");
        Assert.Contains("links 0 established", line);
        Assert.False(tunnel.HasExited);
    }

    [Fact]
    public async Task Quiet_prints_nothing_on_a_clean_run()
    {
        int tcpPort = FreePort.Tcp();
        using var tunnel = TunnelProcess.Start("-q", "-l", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9");
        // Quiet means no "listening" line, but it still tells its NOTIFY_SOCKET that it is ready.
        await tunnel.WhenReadyAsync();
        Assert.True(CanConnect(tcpPort));

        tunnel.Terminate();
        Assert.Equal(0, await tunnel.WaitForExitAsync());
        Assert.Empty(tunnel.Lines);
    }

    [Fact]
    public async Task Trace_logs_each_datagram_and_debug_does_not()
    {
        using var app = new UdpApp();
        int udpPort = FreePort.Udp();
        using var trace = TunnelProcess.Start("-vv", "-l", "127.0.0.1:0", "-u", $"127.0.0.1:{udpPort}", "-p", app.EndPoint.Port.ToString());
        await trace.WhenReadyAsync();
        app.SendTo(new IPEndPoint(IPAddress.Loopback, udpPort), "12345"u8);
        await trace.WaitForLineAsync("TRACE udp->tcp datagram of 5 bytes");
        await trace.WaitForLineAsync("TRACE udp->tcp datagram dropped: no link");

        using var debug = TunnelProcess.Start("-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9");
        await debug.WhenReadyAsync();
        debug.Terminate();
        await debug.WaitForExitAsync();
        Assert.Contains(debug.Lines, l => l.Contains(" DEBUG ", StringComparison.Ordinal));
        Assert.DoesNotContain(debug.Lines, l => l.Contains(" TRACE ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Several_listen_addresses_ipv4_and_ipv6_each_carry_the_link()
    {
        int tcpPort = FreePort.Tcp();
        using var app = new UdpApp();
        using var listen = TunnelProcess.Start("-l", $"127.0.0.1:{tcpPort}", "-l", $"[::1]:{tcpPort}", "-u", "127.0.0.1:0", "-p", app.EndPoint.Port.ToString());
        Assert.Contains($"listening on tcp 127.0.0.1:{tcpPort}, [::1]:{tcpPort}, udp ", await listen.WhenReadyAsync());
        Assert.Contains(listen.Lines, l => l.Contains($"listening on tcp 127.0.0.1:{tcpPort}, [::1]:{tcpPort}", StringComparison.Ordinal));

        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Loopback })
        {
            using var peer = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await peer.ConnectAsync(new IPEndPoint(address, tcpPort)).Within($"connect over {address}");
            byte[] payload = [.. "via "u8, .. System.Text.Encoding.ASCII.GetBytes(address.ToString())];
            await RawPeer.WriteFrameAsync(peer, payload);
            var (data, _) = await app.ReceiveAsync($"a datagram via {address}");
            Assert.Equal(payload, data);
        }
    }

    [Fact]
    [NeedsRoot]
    public async Task Fwmark_marks_the_tcp_sockets_on_both_sides()
    {
        int tcpPort = FreePort.Tcp();
        using var listen = TunnelProcess.Start("-l", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9", "--fwmark", "0x2a");
        await listen.WhenReadyAsync();
        using var connect = TunnelProcess.Start("-t", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9", "--fwmark", "4242");
        await connect.WaitForLineAsync("link up: connected");
        await listen.WaitForLineAsync("link up: accepted");

        // ss -e shows each socket's mark; the two ends of the one connection carry one mark each.
        string sockets = Command.Run("ss", "-tnHe", "state", "established", $"( sport = :{tcpPort} or dport = :{tcpPort} )").Stdout;
        Assert.Contains("fwmark:0x2a", sockets);
        Assert.Contains("fwmark:0x1092", sockets);
    }

    [NeedsRoot]
    [SkippableTheory]
    [InlineData("-l")]
    [InlineData("-t")]
    public async Task Fwmark_without_cap_net_admin_or_cap_net_raw_fails_at_start_with_one_line_naming_both(string role)
    {
        WithoutCapabilities.SkipUnlessPossible();
        using var tunnel = WithoutCapabilities.Start("net_admin,net_raw", role, $"127.0.0.1:{FreePort.Tcp()}", "-u", "127.0.0.1:0", "-p", "9", "--fwmark", "7");

        Assert.Equal(1, await tunnel.WaitForExitAsync());
        var line = Assert.Single(tunnel.Lines);
        Assert.Contains(" ERROR cannot start: --fwmark: ", line);
        Assert.EndsWith("(setting SO_MARK needs CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17+)", line);
    }

    [NeedsRoot]
    [SkippableFact]
    public async Task Fwmark_with_cap_net_raw_alone_is_enough_from_linux_5_17()
    {
        WithoutCapabilities.SkipUnlessPossible();
        Skip.If(Environment.OSVersion.Version < new Version(5, 17), "CAP_NET_RAW sets SO_MARK from Linux 5.17");
        int tcpPort = FreePort.Tcp();
        using var tunnel = WithoutCapabilities.Start("net_admin", "-l", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9", "--fwmark", "7");
        await tunnel.WhenReadyAsync();
        Assert.Contains("fwmark:0x7", Command.Run("ss", "-tlnHe", $"( sport = :{tcpPort} )").Stdout);
    }

    private static bool CanConnect(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
