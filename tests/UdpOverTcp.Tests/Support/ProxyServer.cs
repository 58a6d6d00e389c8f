namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A real proxy as a child process of the test, on a loopback port of its own, with a temporary config:
/// Debian's tinyproxy (HTTP CONNECT) or microsocks (SOCKS5). Never the system's service: its own port,
/// its own config, and it is killed with the test. Missing is a failure that says what to install.
/// </summary>
public sealed class ProxyServer : IDisposable
{
    private readonly string? _directory;

    private ProxyServer(TunnelProcess process, int port, string? directory)
    {
        Process = process;
        Port = port;
        _directory = directory;
    }

    public TunnelProcess Process { get; }

    public int Port { get; }

    /// <summary>
    /// tinyproxy allowing CONNECT to <paramref name="connectPort"/> only (its default is 443 and 563),
    /// with Basic authentication when <paramref name="user"/> is given. Returns once it accepts connections.
    /// </summary>
    public static async Task<ProxyServer> TinyproxyAsync(int connectPort, string? user = null, string? password = null)
    {
        Require("/usr/bin/tinyproxy", "tinyproxy");
        int port = FreePort.Tcp();
        string directory = Directory.CreateTempSubdirectory("uot-tinyproxy-").FullName;
        string config = Path.Combine(directory, "tinyproxy.conf");
        File.WriteAllText(config, $"""
            Port {port}
            Listen 127.0.0.1
            Allow 127.0.0.1
            ConnectPort {connectPort}
            Timeout 600
            MaxClients 20
            LogLevel Info
            DisableViaHeader Yes
            {(user is null ? "" : $"BasicAuth {user} {password}")}

            """);
        // tinyproxy logs to stdout in the foreground; its lines are awaited on stderr.
        var process = TunnelProcess.StartProgram("sh", "-c", "exec \"$@\" 1>&2", "sh", "tinyproxy", "-d", "-c", config);
        var proxy = new ProxyServer(process, port, directory);
        try
        {
            await process.WaitForLineAsync("Accepting connections");
            return proxy;
        }
        catch
        {
            proxy.Dispose();
            throw;
        }
    }

    /// <summary>
    /// microsocks, with user/password authentication when <paramref name="user"/> is given; started
    /// through <paramref name="hosts"/> when given, so it resolves names from that hosts file.
    /// Nothing to await: microsocks prints nothing when ready, and the tunnel retries until it answers.
    /// </summary>
    public static ProxyServer Microsocks(PrivateHosts? hosts = null, string? user = null, string? password = null)
    {
        Require("/usr/bin/microsocks", "microsocks");
        int port = FreePort.Tcp();
        string[] args = ["-i", "127.0.0.1", "-p", port.ToString(), .. user is null ? Array.Empty<string>() : ["-u", user, "-P", password!]];
        var process = TunnelProcess.StartProgram(hosts is null ? ["microsocks", .. args] : hosts.Wrap("microsocks", args));
        return new ProxyServer(process, port, null);
    }

    public void Dispose()
    {
        Process.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static void Require(string path, string package)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: apt-get install {package} (.ci/run does)");
        }
    }
}
