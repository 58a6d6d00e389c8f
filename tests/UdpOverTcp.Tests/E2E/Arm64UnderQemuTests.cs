using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The linux-arm64 binary that ./publish.sh cross-builds (artifacts/linux-arm64/udp-over-tcp), run on
/// this x64 host under qemu-user with the Debian cross glibc (/usr/aarch64-linux-gnu) as its root for
/// libraries, and talking to this host's own binary: the cross build is a working program, not just
/// an ARM64 ELF file. Needs `./publish.sh linux-arm64` and Debian's qemu-user; .ci/run does both.
/// </summary>
[EndToEndTest]
public sealed class Arm64UnderQemuTests
{
    private const string Rid = "linux-arm64";
    private const int ElfMachineAArch64 = 183;

    /// <summary>Where Debian's libc6-arm64-cross puts the ARM64 loader and glibc.</summary>
    private const string CrossLibraryRoot = "/usr/aarch64-linux-gnu";

    [SkippableFact]
    public async Task Version_matches_the_host_build()
    {
        var run = Arm64();
        using var arm64 = TunnelProcess.StartProgram(run(["--version"]));
        Assert.Equal(0, await arm64.WaitForExitAsync());

        var (code, hostStdout, _) = await TunnelProcess.RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^udp-over-tcp \d+\.\d+\.\d+\n$", arm64.Stdout);
        Assert.Equal(hostStdout, arm64.Stdout);
    }

    [SkippableFact]
    public async Task The_bench_beside_it_runs_and_its_version_matches_the_host_build()
    {
        var run = Arm64("udp-over-tcp-bench");
        using var arm64 = TunnelProcess.StartProgram(run(["--version"]));
        Assert.Equal(0, await arm64.WaitForExitAsync());

        var (code, hostStdout, _) = await TunnelProcess.RunBenchAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^udp-over-tcp-bench \d+\.\d+\.\d+\n$", arm64.Stdout);
        Assert.Equal(hostStdout, arm64.Stdout);
    }

    /// <remarks>
    /// Empty datagrams included: Debian 12's qemu-user (7.2) reports a sendmmsg message with no iovec
    /// as sent and sends nothing (QEMU 8.0 fixed it), so the batched path gives an empty datagram one
    /// empty iovec. The next test covers the portable data path.
    /// </remarks>
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Carries_sequence_checked_datagrams_both_ways_with_the_host_binary_as_the_other_end(bool arm64Listens)
    {
        var run = Arm64();
        await using var pair = await ReadmeTunnels.StartMixedAsync(run, underTestListens: arm64Listens);
        await pair.ExchangeBothWaysAsync(300, seed: arm64Listens ? 64 : 65);
        await pair.StopAsync();
    }

    [SkippableFact]
    public async Task Carries_empty_and_mixed_datagrams_on_the_portable_data_path()
    {
        var run = Arm64();
        await using var pair = await ReadmeTunnels.StartMixedAsync(args => ["env", "UDP_OVER_TCP_IO=portable", .. run([.. args, "--verbose"])], underTestListens: true);
        await pair.ListenSide.WaitForLineAsync("udp data path: portable");
        await pair.ExchangeBothWaysAsync(100, seed: 66);
        await pair.StopAsync();
    }

    /// <summary>The command line that runs the ARM64 tunnel (or <paramref name="program"/> beside it) with the given arguments.</summary>
    private static Func<string[], string[]> Arm64(string program = "udp-over-tcp")
    {
        string binary = Path.Combine(Path.GetDirectoryName(CrossBuild.Require(Rid))!, program);
        if (!File.Exists(binary))
        {
            CrossBuild.Missing(Rid, $"{binary} is missing: run ./publish.sh {Rid} first");
        }

        Assert.True(CrossBuild.ElfMachine(binary) == ElfMachineAArch64, $"{binary} is not an AArch64 executable");

        string? qemu = CrossBuild.FindOnPath("qemu-aarch64", "qemu-aarch64-static");
        if (qemu is null)
        {
            CrossBuild.Missing(Rid, "qemu-aarch64 is not on PATH: apt-get install qemu-user");
        }

        string? loader = CrossBuild.ElfInterpreter(binary);
        if (loader is null)
        {
            return args => [qemu!, binary, .. args];
        }

        // A dynamically linked binary finds its loader and glibc under qemu's -L root.
        if (!File.Exists(CrossLibraryRoot + loader))
        {
            CrossBuild.Missing(Rid, $"{CrossLibraryRoot}{loader} is missing: apt-get install libc6-arm64-cross");
        }

        return args => [qemu!, "-L", CrossLibraryRoot, binary, .. args];
    }
}
