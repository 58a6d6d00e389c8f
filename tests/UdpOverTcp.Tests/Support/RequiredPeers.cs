namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Peer programs that are not part of this repository's build (ProxyGuard built with go, nginx, the
/// openssl CLI). One that is missing skips the test, saying what to install, or fails it when
/// $UDP_OVER_TCP_REQUIRE_PEERS is set (as .ci/run does, having installed them): never a silent pass.
/// </summary>
public static class RequiredPeers
{
    public const string RequiredVariable = "UDP_OVER_TCP_REQUIRE_PEERS";

    /// <summary>Skips the test because of <paramref name="what"/>, or fails it where peers are required.</summary>
    public static void Missing(string what)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RequiredVariable)))
        {
            throw new InvalidOperationException($"{what} ({RequiredVariable} says the peers must be tested here)");
        }

        Skip.If(true, what);
    }

    /// <summary>The path of <paramref name="program"/> on PATH or in /usr/sbin, or a skip (a failure where required) naming <paramref name="package"/>.</summary>
    public static string Program(string program, string package)
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip.If(true, $"the {program} peer is tested on a Linux host");
        }

        // /usr/sbin too (nginx is there), which a non-root user's PATH often lacks.
        string? path = CrossBuild.FindOnPath(program) ?? (File.Exists($"/usr/sbin/{program}") ? $"/usr/sbin/{program}" : null);
        if (path is null)
        {
            Missing($"{program} is not on PATH: apt-get install {package} (.ci/run does)");
        }

        return path!;
    }
}
