using System.Diagnostics;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// eduVPN's ProxyGuard client and server, built once per test run from the source beside the
/// repository (../shared/peers/proxyguard, see its ORIGIN.md; $UDP_OVER_TCP_PROXYGUARD_SOURCE
/// overrides) with Debian's go. The source folder is read-only in CI: the binaries and go's cache
/// go to a temp dir, removed when the test run ends. No go or no source is a skip, or a failure
/// where peers are required (<see cref="RequiredPeers"/>).
/// </summary>
public static class ProxyGuardBuild
{
    public const string SourceVariable = "UDP_OVER_TCP_PROXYGUARD_SOURCE";

    private static readonly Lazy<(string Client, string Server)> Built = new(Build);

    /// <summary>The paths of proxyguard-client and proxyguard-server, built on first use.</summary>
    public static (string Client, string Server) Require()
    {
        RequiredPeers.Program("go", "golang-go");
        string source = SourceDirectory;
        if (!File.Exists(Path.Combine(source, "go.mod")))
        {
            RequiredPeers.Missing($"the ProxyGuard source is not at {source} (set {SourceVariable} to it)");
        }

        return Built.Value;
    }

    /// <summary>$UDP_OVER_TCP_PROXYGUARD_SOURCE, or ../shared/peers/proxyguard from the repository root.</summary>
    public static string SourceDirectory =>
        Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 } fromEnvironment
            ? Path.GetFullPath(fromEnvironment)
            : Path.GetFullPath(Path.Combine(PublishedBinary.RepositoryRoot, "..", "shared", "peers", "proxyguard"));

    private static (string Client, string Server) Build()
    {
        string output = Directory.CreateTempSubdirectory("uot-proxyguard-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The run is ending; a leftover temp dir is not worth failing it.
            }
        };
        string client = Path.Combine(output, "proxyguard-client");
        string server = Path.Combine(output, "proxyguard-server");
        GoBuild(output, client, "./cmd/proxyguard-client");
        GoBuild(output, server, "./cmd/proxyguard-server");
        // Go's cache (thousands of files) goes now: the test host may be ended soon after the run,
        // before a handler at exit got through it. Only the two binaries are left for the exit.
        Directory.Delete(Path.Combine(output, "gocache"), recursive: true);
        return (client, server);
    }

    /// <summary>The build ORIGIN.md gives: no module download (GOPROXY=off), cache and GOPATH in <paramref name="output"/>.</summary>
    private static void GoBuild(string output, string binary, string package)
    {
        var start = new ProcessStartInfo("go")
        {
            WorkingDirectory = SourceDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "build", "-o", binary, package })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GOFLAGS"] = "-mod=mod";
        start.Environment["GOPROXY"] = "off";
        start.Environment["GOCACHE"] = Path.Combine(output, "gocache");
        start.Environment["GOPATH"] = Path.Combine(output, "gopath");
        using var go = Process.Start(start)!;
        var stderr = go.StandardError.ReadToEndAsync();
        string stdout = go.StandardOutput.ReadToEnd();
        if (!go.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            go.Kill(entireProcessTree: true);
            throw new TimeoutException($"go build {package} took more than 5 minutes");
        }

        if (go.ExitCode != 0 || !File.Exists(binary))
        {
            throw new InvalidOperationException($"go build {package} in {SourceDirectory} exited {go.ExitCode}: {stdout}{stderr.Result}");
        }
    }
}
