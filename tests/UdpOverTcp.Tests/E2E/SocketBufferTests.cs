using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// A UDP buffer past net.core.rmem_max: the published binary gets it in full with CAP_NET_ADMIN
/// (SO_RCVBUFFORCE) and, without it, runs with the capped size and says so in one warning.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed class SocketBufferTests
{
    [SkippableFact]
    public async Task With_cap_net_admin_a_buffer_past_the_sysctl_cap_is_granted_in_full()
    {
        long asked = PastTheCap();
        using var tunnel = TunnelProcess.Start("-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--udp-recv-buffer", asked.ToString());

        var line = await tunnel.WaitForLineAsync("udp receive buffer:");
        Assert.Contains($" DEBUG udp receive buffer: {asked} bytes", line);
        await tunnel.WhenReadyAsync();
    }

    [SkippableFact]
    public async Task Without_it_the_capped_size_is_used_and_the_sysctl_named_in_a_warning()
    {
        long asked = PastTheCap();
        WithoutCapabilities.SkipUnlessPossible();
        using var tunnel = WithoutCapabilities.Start("net_admin", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--udp-recv-buffer", asked.ToString());

        var line = await tunnel.WaitForLineAsync("udp receive buffer:");
        Assert.Contains($" WARN  udp receive buffer: asked for {asked} bytes, got {RmemMax()} (net.core.rmem_max caps it: raise it with sysctl, or run with CAP_NET_ADMIN)", line);
        await tunnel.WhenReadyAsync();
    }

    /// <summary>A size 1 MiB past the cap; skips where the test cannot have CAP_NET_ADMIN to begin with.</summary>
    private static long PastTheCap()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "net.core.rmem_max and SO_RCVBUFFORCE are Linux's");
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root for CAP_NET_ADMIN; .ci/run runs as root");
        return RmemMax() + (1 << 20);
    }

    private static long RmemMax() => Sysctl.Read("net/core/rmem_max");
}
