namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The published binary started without some capabilities: setpriv drops them from the bounding
/// set, so a root test process gets a root child that lacks them, as an unprivileged user's would.
/// </summary>
public static class WithoutCapabilities
{
    private const string Setpriv = "/usr/bin/setpriv";

    /// <summary>Skips the test where it cannot drop capabilities: not Linux, not root, or no setpriv.</summary>
    public static void SkipUnlessPossible()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "needs root on Linux to start a root child without a capability; .ci/run runs as root");
        Skip.IfNot(File.Exists(Setpriv), "needs setpriv (util-linux) to drop capabilities");
    }

    /// <summary>Starts the binary with <paramref name="args"/>, without the capabilities listed, e.g. "net_admin,net_raw".</summary>
    public static TunnelProcess Start(string capabilities, params string[] args) => TunnelProcess.StartWrapped(Wrap(capabilities, [PublishedBinary.Path, .. args]));

    /// <summary>Starts the published bench with <paramref name="args"/>, without the capabilities listed (nor have its tunnels).</summary>
    public static TunnelProcess StartBench(string capabilities, params string[] args) => TunnelProcess.StartProgram(Wrap(capabilities, [PublishedBinary.BenchPath, .. args]));

    private static string[] Wrap(string capabilities, string[] commandLine) =>
        [Setpriv, "--bounding-set=" + string.Join(',', capabilities.Split(',').Select(c => "-" + c)), "--", .. commandLine];
}
