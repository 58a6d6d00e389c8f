namespace UdpOverTcp.Tests.Support;

/// <summary>
/// What the published binary can do, by its --help: tests of a feature that is being built on
/// another branch skip, saying so, until the binary has it (and then run for real).
/// </summary>
public static class TunnelFeatures
{
    private static readonly Lazy<string> Help = new(() =>
    {
        var (_, stdout, stderr) = Command.Run(PublishedBinary.Path, "--help");
        return stdout + stderr;
    });

    /// <summary>Skips unless the tunnel has --http-upgrade (listen side) and http:// URLs for --tcp-connect.</summary>
    public static void RequireHttpUpgrade() =>
        Skip.IfNot(Help.Value.Contains("--http-upgrade", StringComparison.Ordinal),
            "the tunnel has no --http-upgrade yet (`udp-over-tcp --help` does not name it): these tests run once the http-upgrade branch is merged");
}
