using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>--congestion on the published binary: the link's two ends as ss sees them, and the start-up check's usage errors.</summary>
[EndToEndTest]
public sealed class CongestionTests
{
    private const string AvailablePath = "/proc/sys/net/ipv4/tcp_available_congestion_control";
    private const string AllowedPath = "/proc/sys/net/ipv4/tcp_allowed_congestion_control";

    [Fact]
    public async Task A_name_the_kernel_lacks_is_a_usage_error_at_start_naming_what_it_has()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--congestion", "nosuchcc");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(2, stderr.Count);
        Assert.Equal($"udp-over-tcp: --congestion nosuchcc: this kernel has no such TCP congestion control (available: {Read(AvailablePath)}; see {AvailablePath})", stderr[0]);
        Assert.Equal("Try 'udp-over-tcp --help' for more information.", stderr[1]);
    }

    [SkippableFact]
    [NeedsRoot]
    public async Task Both_ends_of_the_link_use_the_congestion_control_asked_for()
    {
        // One the system does not use by default, so the test cannot pass without the option.
        string systemDefault = Read("/proc/sys/net/ipv4/tcp_congestion_control");
        string? wanted = Names(AvailablePath).FirstOrDefault(n => n != systemDefault);
        Skip.If(wanted is null, "the kernel has only its default congestion control");
        Skip.IfNot(Environment.IsPrivilegedProcess, "setting a congestion control that is not allowed to all needs root");

        int tcpPort = FreePort.Tcp();
        using var listen = TunnelProcess.Start("-l", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9", "--congestion", wanted!);
        await listen.WhenReadyAsync();
        using var connect = TunnelProcess.Start("-t", $"127.0.0.1:{tcpPort}", "-u", "127.0.0.1:0", "-p", "9", "--congestion", wanted!);
        await connect.WaitForLineAsync("link up: connected");
        await listen.WaitForLineAsync("link up: accepted");

        // ss -ti: a line per socket with its addresses, then one with its TCP figures, the algorithm first.
        string[] info = Command.Run("ss", "-tniH", "state", "established", $"( sport = :{tcpPort} or dport = :{tcpPort} )").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains($":{tcpPort}", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, info.Length);
        Assert.All(info, l => Assert.StartsWith(wanted + " ", l));
    }

    [NeedsRoot]
    [SkippableFact]
    public async Task One_not_allowed_to_all_without_cap_net_admin_is_a_usage_error_naming_the_allowed_ones()
    {
        WithoutCapabilities.SkipUnlessPossible();
        string? notAllowed = Names(AvailablePath).Except(Names(AllowedPath)).FirstOrDefault();
        Skip.If(notAllowed is null, "every available congestion control is allowed to all here");

        using var tunnel = WithoutCapabilities.Start("net_admin", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--congestion", notAllowed!);
        Assert.Equal(2, await tunnel.WaitForExitAsync());
        Assert.Equal(
            $"udp-over-tcp: --congestion {notAllowed}: only CAP_NET_ADMIN may pick a TCP congestion control not allowed to all (allowed: {Read(AllowedPath)}; see {AllowedPath})",
            tunnel.Lines[0]);
    }

    private static string Read(string path) => File.ReadAllText(path).Trim();

    private static string[] Names(string path) => Read(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
