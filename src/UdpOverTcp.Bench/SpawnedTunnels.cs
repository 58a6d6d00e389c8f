using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Bench;

/// <summary>
/// Two tunnel ends as the user runs them: the udp-over-tcp binary (see <see cref="Locate"/>), started
/// twice as child processes on ephemeral loopback ports. The listen end is the far one, the connect
/// end the near one; both deliver to the bench's app socket (see <see cref="BenchPath"/>). The ports
/// the OS picked are read from their start-up log lines, so nothing races for a "free" port.
/// </summary>
internal sealed class SpawnedTunnels : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly ChildTunnel _far;
    private readonly ChildTunnel _near;

    private SpawnedTunnels(ChildTunnel far, ChildTunnel near, IPEndPoint entry, string dataPath)
    {
        _far = far;
        _near = near;
        Entry = entry;
        DataPath = dataPath;
    }

    /// <summary>The near end's UDP socket: where the generator sends.</summary>
    public IPEndPoint Entry { get; }

    /// <summary>The data path the children report using, e.g. "batched (recvmmsg/sendmmsg)".</summary>
    public string DataPath { get; }

    /// <summary>The tunnel binary to start: <paramref name="given"/> (--tunnel), else udp-over-tcp in this program's directory.</summary>
    public static string Locate(string? given)
    {
        string path = given ?? Path.Combine(
            Path.GetDirectoryName(Environment.ProcessPath) ?? AppContext.BaseDirectory,
            OperatingSystem.IsWindows() ? "udp-over-tcp.exe" : "udp-over-tcp");
        if (!File.Exists(path))
        {
            throw new BenchException(given is null
                ? $"cannot find the tunnel binary {path}: the bench starts the udp-over-tcp beside it (or the one --tunnel PATH names)"
                : $"--tunnel: {path} does not exist");
        }

        return Path.GetFullPath(path);
    }

    /// <summary>
    /// Starts both ends of <paramref name="program"/>, delivering to <paramref name="app"/>, and waits until their link is up.
    /// Each end gets <paramref name="extraArgs"/> after the bench's own arguments.
    /// </summary>
    public static SpawnedTunnels Start(string program, IPEndPoint app, UdpDataPath? dataPath, IReadOnlyList<string> extraArgs)
    {
        string loopback = app.AddressFamily == AddressFamily.InterNetworkV6 ? "[::1]:0" : "127.0.0.1:0";
        var environment = new Dictionary<string, string>();
        if (dataPath is { } path)
        {
            environment[TunnelOptions.DataPathVariable] = path == UdpDataPath.Batched ? "batched" : "portable";
        }

        // -v: the data path and link events are logged at debug level; nothing is logged per datagram.
        var far = new ChildTunnel("listen", program, ["-v", "-l", loopback, "-u", loopback, "-p", app.ToString(), .. extraArgs], environment);
        ChildTunnel? near = null;
        try
        {
            var (tcp, _) = ParseEndpoints(far.WaitForLine("listening on tcp ", StartTimeout));
            near = new ChildTunnel("connect", program, ["-v", "-t", tcp.ToString(), "-u", loopback, "-p", app.ToString(), .. extraArgs], environment);
            var (_, entry) = ParseEndpoints(near.WaitForLine("connecting to tcp ", StartTimeout));
            string kind = near.WaitForLine("udp data path: ", StartTimeout);
            near.WaitForLine("link up: connected", StartTimeout);
            far.WaitForLine("link up: accepted", StartTimeout);
            return new SpawnedTunnels(far, near, entry, kind[(kind.IndexOf("udp data path: ", StringComparison.Ordinal) + 15)..]);
        }
        catch
        {
            near?.Dispose();
            far.Dispose();
            throw;
        }
    }

    /// <summary>User + system time of both tunnel processes so far; null where the OS does not tell.</summary>
    public TimeSpan? CpuTime() => _far.CpuTime + _near.CpuTime;

    public void Dispose()
    {
        _near.Dispose();
        _far.Dispose();
    }

    /// <summary>The TCP and UDP addresses in a start-up line: "... tcp 127.0.0.1:41234, udp 127.0.0.1:50001 -> 127.0.0.1:50000".</summary>
    public static (IPEndPoint Tcp, IPEndPoint Udp) ParseEndpoints(string line)
    {
        int tcp = line.IndexOf(" tcp ", StringComparison.Ordinal);
        int udp = line.IndexOf(", udp ", StringComparison.Ordinal);
        int arrow = line.IndexOf(" -> ", StringComparison.Ordinal);
        if (tcp < 0 || udp < tcp || arrow < udp
            || !IPEndPoint.TryParse(line.AsSpan(tcp + 5, udp - tcp - 5), out var tcpEndpoint)
            || !IPEndPoint.TryParse(line.AsSpan(udp + 6, arrow - udp - 6), out var udpEndpoint))
        {
            throw new BenchException($"cannot read the tunnel's addresses from its log line: {line}");
        }

        return (tcpEndpoint, udpEndpoint);
    }
}
