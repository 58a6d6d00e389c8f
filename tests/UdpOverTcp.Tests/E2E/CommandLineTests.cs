using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>The published binary's exit codes and messages.</summary>
[EndToEndTest]
public class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_usage_and_exits_0(string flag)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync(flag);
        Assert.Equal(0, code);
        Assert.Contains("--tcp-listen", stdout);
        Assert.Contains("--udp-sendto", stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var (code, stdout, _) = await TunnelProcess.RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^udp-over-tcp \d+\.\d+\.\d+\n$", stdout);
    }

    [Theory]
    [InlineData]
    [InlineData("-l", "7878")]
    [InlineData("--tcp-listen", "x", "-u", "1", "-p", "2")]
    [InlineData("--bogus")]
    [InlineData("-l", "1", "-t", "2", "-u", "3", "-p", "4")]
    [InlineData("-t", "1", "-u", "3", "-p", "4", "--multi-client")]
    public async Task Usage_errors_print_one_line_and_a_hint_and_exit_2(params string[] args)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(2, stderr.Count);
        Assert.StartsWith("udp-over-tcp: ", stderr[0]);
        Assert.Equal("Try 'udp-over-tcp --help' for more information.", stderr[1]);
    }

    [Fact]
    public async Task Udp_port_in_use_exits_1_with_one_error_line()
    {
        using var taken = new UdpApp(new IPEndPoint(IPAddress.Loopback, 0));
        var (code, _, stderr) = await TunnelProcess.RunAsync("-t", "1", "-u", $"127.0.0.1:{taken.EndPoint.Port}", "-p", "9");
        Assert.Equal(1, code);
        var line = Assert.Single(stderr);
        Assert.Contains("ERROR cannot start", line);
    }

    [Fact]
    public async Task Tcp_listen_port_in_use_exits_1()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var (code, _, stderr) = await TunnelProcess.RunAsync("-l", $"127.0.0.1:{((IPEndPoint)taken.LocalEndPoint!).Port}", "-u", "127.0.0.1:0", "-p", "9");
        Assert.Equal(1, code);
        Assert.Contains("cannot start", Assert.Single(stderr));
    }

    [Theory]
    [InlineData(15)]   // SIGTERM: systemd, kill
    [InlineData(2)]    // SIGINT: Ctrl+C
    [InlineData(1)]    // SIGHUP: the terminal went away
    public async Task Sigterm_sigint_and_sighup_stop_cleanly_with_exit_0_and_a_summary(int signal)
    {
        using var tunnel = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9");
        await tunnel.WhenReadyAsync();
        tunnel.Signal(signal);
        Assert.Equal(0, await tunnel.WaitForExitAsync());
        Assert.Contains(tunnel.Lines, l => l.Contains("stopped: udp->tcp received 0 datagrams", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_side_with_no_listener_keeps_retrying_and_stays_up()
    {
        int port = FreePort.Tcp();
        using var tunnel = TunnelProcess.Start("-t", port.ToString(), "-u", "127.0.0.1:0", "-p", "9");
        await tunnel.WaitForLineAsync("failed", occurrence: 3);
        Assert.False(tunnel.HasExited);
        tunnel.Terminate();
        Assert.Equal(0, await tunnel.WaitForExitAsync());
    }

    [Fact]
    public async Task Buffer_options_reach_the_sockets()
    {
        using var tunnel = TunnelProcess.Start("-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--udp-recv-buffer", "256K", "--tcp-send-buffer", "64K");
        // What the OS granted, read back (Linux reports twice the request; the log does not).
        var udp = await tunnel.WaitForLineAsync("udp receive buffer:");
        var tcp = await tunnel.WaitForLineAsync("tcp send buffer:");
        Assert.EndsWith(" DEBUG udp receive buffer: 262144 bytes", udp);
        Assert.EndsWith(" DEBUG tcp send buffer: 65536 bytes", tcp);
        tunnel.Terminate();
        Assert.Equal(0, await tunnel.WaitForExitAsync());
    }
}
