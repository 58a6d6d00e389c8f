using System.Runtime.Versioning;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The linux-musl-x64 binary (artifacts/linux-musl-x64/udp-over-tcp, a static executable) runs on a
/// "host" that has no .NET runtime and no glibc: a chroot whose only file is the binary (plus musl's
/// loader, should the binary be dynamically linked). It starts, tunnels with this host's binary as
/// the other end, and stops cleanly on SIGTERM. Needs `./publish.sh linux-musl-x64` and root.
/// </summary>
[SupportedOSPlatform("linux")]
[EndToEndTest]
[NeedsRoot]
public sealed class StaticMuslChrootTests : IDisposable
{
    private const string Rid = "linux-musl-x64";
    private const int ElfMachineX64 = 62;

    private readonly string _root = Directory.CreateTempSubdirectory("uot-chroot-").FullName;

    [SkippableFact]
    public async Task Starts_in_a_root_that_holds_nothing_but_the_binary()
    {
        var run = InChroot();
        Assert.Equal(["udp-over-tcp"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Where(n => n != "lib"));

        using var process = TunnelProcess.StartProgram(run(["--version"]));
        Assert.Equal(0, await process.WaitForExitAsync());
        var (_, hostStdout, _) = await TunnelProcess.RunAsync("--version");
        Assert.Equal(hostStdout, process.Stdout);
    }

    [SkippableFact]
    public async Task The_glibc_build_cannot_start_in_the_same_root()
    {
        // The control: this host's dynamically linked binary finds no loader and no libc there, so the
        // chroot really is a host without glibc.
        _ = InChroot();
        Assert.True(CrossBuild.ElfInterpreter(PublishedBinary.Path) is not null, $"{PublishedBinary.Path} should be the dynamically linked glibc build");
        File.Copy(PublishedBinary.Path, Path.Combine(_root, "glibc-build"));
        File.SetUnixFileMode(Path.Combine(_root, "glibc-build"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var process = TunnelProcess.StartProgram("chroot", _root, "/glibc-build", "--version");
        Assert.NotEqual(0, await process.WaitForExitAsync());
        Assert.Equal("", process.Stdout);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Carries_sequence_checked_datagrams_both_ways_with_the_host_binary_as_the_other_end(bool chrootListens)
    {
        var run = InChroot();
        await using var pair = await ReadmeTunnels.StartMixedAsync(run, underTestListens: chrootListens);
        await pair.ExchangeBothWaysAsync(300, seed: chrootListens ? 86 : 87);
        await pair.StopAsync();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Lays out the root and returns the command line that runs the binary inside it.</summary>
    private Func<string[], string[]> InChroot()
    {
        string binary = CrossBuild.Require(Rid);
        Assert.True(CrossBuild.ElfMachine(binary) == ElfMachineX64, $"{binary} is not an x86-64 executable");
        if (Environment.UserName != "root")
        {
            CrossBuild.Missing(Rid, "chroot needs root");
        }

        string inside = Path.Combine(_root, "udp-over-tcp");
        File.Copy(binary, inside);
        File.SetUnixFileMode(inside, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        string? loader = CrossBuild.ElfInterpreter(binary);
        if (loader is not null)
        {
            // A dynamic musl build needs musl's loader (which is also its libc), and nothing else.
            Assert.True(loader.Contains("musl", StringComparison.Ordinal), $"{binary} asks for {loader}, which is not musl's loader");
            Assert.True(File.Exists(loader), $"{binary} is dynamically linked and {loader} is missing here: apt-get install musl");
            string target = Path.Combine(_root, loader.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(loader, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return args => ["chroot", _root, "/udp-over-tcp", .. args];
    }
}
