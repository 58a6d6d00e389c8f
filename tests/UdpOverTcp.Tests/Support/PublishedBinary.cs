using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The Native AOT binary the e2e tests run: $UDP_OVER_TCP_BIN, or artifacts/&lt;rid&gt;/udp-over-tcp
/// as ./publish.sh leaves it. Missing is a failure with instructions, never a silent skip.
/// </summary>
public static class PublishedBinary
{
    private static readonly Lazy<string> Located = new(Locate);

    public static string Path => Located.Value;

    private static string Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("UDP_OVER_TCP_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment) ? fromEnvironment
                : throw new FileNotFoundException($"UDP_OVER_TCP_BIN points at {fromEnvironment}, which does not exist");
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "UdpOverTcp.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new DirectoryNotFoundException("cannot find the repository root (UdpOverTcp.sln) above " + AppContext.BaseDirectory);
        }

        string name = OperatingSystem.IsWindows() ? "udp-over-tcp.exe" : "udp-over-tcp";
        string path = System.IO.Path.Combine(dir.FullName, "artifacts", RuntimeInformation.RuntimeIdentifier, name);
        return File.Exists(path) ? path
            : throw new FileNotFoundException($"{path} is missing: run ./publish.sh first (the README's test command does)");
    }
}
