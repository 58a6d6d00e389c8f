using System.Text.RegularExpressions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// A host without OpenSSL 3, made for the published binary alone: it runs in a mount namespace of its
/// own (`unshare -m`) where an empty file is bind-mounted over the libssl.so.3 the loader would find, so
/// dlopen fails as if the library were not installed. --tcp-connect https:// must then refuse to start
/// with one line saying what is missing, not fail later in the first OpenSSL call. Needs root.
/// </summary>
[EndToEndTest]
[NeedsLinux]
[NeedsRoot]
public sealed partial class MissingLibSslTests : IDisposable
{
    private readonly string _empty = Path.GetTempFileName();

    [SkippableFact]
    public async Task Https_without_libssl_fails_at_start_with_one_line_and_exit_code_1()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root to bind-mount over libssl.so.3 (unshare -m); .ci/run runs as root");
        string[] libssl = LoaderPaths();

        // Every path the cache lists (another architecture's too, on a multiarch host), then the binary.
        using var tunnel = TunnelProcess.StartProgram(
        [
            "unshare", "-m", "sh", "-c",
            "e=$1; n=$2; shift 2; while [ \"$n\" -gt 0 ]; do mount --bind \"$e\" \"$1\" || exit 99; shift; n=$((n - 1)); done; exec \"$@\"",
            "sh", _empty, libssl.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), .. libssl,
            PublishedBinary.Path, "-t", "https://127.0.0.1:9/tunnel", "-u", "127.0.0.1:0", "-p", "9",
        ]);

        int code = await tunnel.WaitForExitAsync();
        var line = Assert.Single(tunnel.Lines);   // first: a failed mount's own message shows here
        Assert.Contains(" ERROR cannot start: --tcp-connect https://: TLS needs the system's OpenSSL 3 (libssl.so.3), which cannot be loaded", line);
        Assert.Equal(1, code);
        Assert.Equal("", tunnel.Stdout);
        // The mount lived in the child's namespace only: this one (the host's, for the other tests) never had it.
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains("libssl", StringComparison.Ordinal));
    }

    public void Dispose() => File.Delete(_empty);

    /// <summary>Where the dynamic loader finds libssl.so.3 (ldconfig's cache), which is what dlopen opens.</summary>
    private static string[] LoaderPaths()
    {
        string cache = Command.RunChecked("ldconfig -p lists the loader's cache", RequiredPeers.Program("ldconfig", "libc-bin"), "-p");
        string[] paths = [.. CacheEntry().Matches(cache).Select(m => m.Groups[1].Value)];
        Skip.If(paths.Length == 0, "libssl.so.3 is not installed here: nothing to hide");
        return paths;
    }

    /// <summary>"libssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3".</summary>
    [GeneratedRegex(@"^\s*libssl\.so\.3 \([^)]*\) => (\S+)$", RegexOptions.Multiline)]
    private static partial Regex CacheEntry();
}
