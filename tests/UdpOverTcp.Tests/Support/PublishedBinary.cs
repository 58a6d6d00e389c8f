using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The Native AOT binary the e2e tests run: $UDP_OVER_TCP_BIN, or artifacts/&lt;rid&gt;/udp-over-tcp
/// as ./publish.sh leaves it. Missing is a failure with instructions, never a silent skip.
/// </summary>
public static class PublishedBinary
{
    private static readonly Lazy<string> Located = new(Locate);
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string Path => Located.Value;

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
