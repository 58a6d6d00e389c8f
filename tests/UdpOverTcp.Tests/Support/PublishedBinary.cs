using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The Native AOT binaries the e2e tests run: the tunnel, $UDP_OVER_TCP_BIN or
/// artifacts/&lt;rid&gt;/udp-over-tcp as ./publish.sh leaves it, and the bench udp-over-tcp-bench
/// beside it (where the bench looks for the tunnel). Missing is a failure with instructions, never a
/// silent skip.
/// </summary>
public static class PublishedBinary
{
    private static readonly Lazy<string> Located = new(Locate);
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string Path => Located.Value;

    /// <summary>udp-over-tcp-bench, in the folder of <see cref="Path"/>.</summary>
    public static string BenchPath
    {
        get
        {
            string path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, OperatingSystem.IsWindows() ? "udp-over-tcp-bench.exe" : "udp-over-tcp-bench");
            return File.Exists(path) ? path
                : throw new FileNotFoundException($"{path} is missing: run ./publish.sh first (it builds the bench beside the tunnel)");
        }
    }

    /// <summary>The folder that holds UdpOverTcp.sln.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>Where ./publish.sh leaves the binary for <paramref name="rid"/>; it may not exist.</summary>
    public static string ArtifactPath(string rid) =>
        System.IO.Path.Combine(RepositoryRoot, "artifacts", rid, rid.StartsWith("win-", StringComparison.Ordinal) ? "udp-over-tcp.exe" : "udp-over-tcp");

    private static string Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("UDP_OVER_TCP_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment) ? fromEnvironment
                : throw new FileNotFoundException($"UDP_OVER_TCP_BIN points at {fromEnvironment}, which does not exist");
        }

        string path = ArtifactPath(RuntimeInformation.RuntimeIdentifier);
        return File.Exists(path) ? path
            : throw new FileNotFoundException($"{path} is missing: run ./publish.sh first (the README's test command does)");
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "UdpOverTcp.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName
            ?? throw new DirectoryNotFoundException("cannot find the repository root (UdpOverTcp.sln) above " + AppContext.BaseDirectory);
    }
}
