using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>Where one tunnel end runs and what it binds.</summary>
/// <param name="Inside">Its network namespace (started through nsenter); null: the bench's own.</param>
/// <param name="UdpBind">Its --udp-bind, e.g. "127.0.0.1:0".</param>
/// <param name="DeliverTo">Its --udp-sendto: the bench's app socket on that side.</param>
public sealed record TunnelEnd(LinkNamespace? Inside, string UdpBind, IPEndPoint DeliverTo);

/// <summary>
/// Two tunnel ends as the user runs them: the udp-over-tcp binary (see <see cref="Locate"/>), started
/// twice as child processes on ephemeral ports, on loopback or each in a network namespace of its
/// own (<see cref="TunnelEnd"/>). The listen end is the far one, the connect end the near one; each
/// delivers to the bench's app socket on its side (see <see cref="BenchPath"/>). The ports the OS
/// picked are read from their start-up log lines, so nothing races for a "free" port.
/// </summary>
public sealed class SpawnedTunnels : IDisposable
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

    /// <summary>Starts both ends of <paramref name="program"/> on loopback, delivering to <paramref name="app"/>, and waits until their link is up.</summary>
    public static SpawnedTunnels Start(string program, IPEndPoint app, UdpDataPath? dataPath, IReadOnlyList<string> extraArgs, ThrowawayCertificate? tls)
    {
        string loopback = app.AddressFamily == AddressFamily.InterNetworkV6 ? "[::1]:0" : "127.0.0.1:0";
        var end = new TunnelEnd(Inside: null, loopback, app);
        return Start(program, loopback, far: end, near: end, nsenter: null, dataPath, extraArgs, tls);
    }

    /// <summary>
    /// Starts the far end listening on <paramref name="listenOn"/>, then the near end connecting to it
    /// (over TLS with <paramref name="tls"/>: <see cref="TunnelTlsArgs"/>), and waits until their link is
    /// up. Each end gets <paramref name="extraArgs"/> after the bench's own arguments. An end inside a
    /// namespace is started through <paramref name="nsenter"/>.
    /// </summary>
    public static SpawnedTunnels Start(string program, string listenOn, TunnelEnd far, TunnelEnd near, string? nsenter, UdpDataPath? dataPath, IReadOnlyList<string> extraArgs, ThrowawayCertificate? tls)
    {
        var environment = new Dictionary<string, string>();
        if (dataPath is { } path)
        {
            environment[UdpDataPathVariable.Name] = UdpDataPathVariable.ValueOf(path);
        }

        ChildTunnel StartEnd(string name, TunnelEnd end, string[] endpoints)
        {
            // -v: the data path and link events are logged at debug level; nothing is logged per datagram.
            string[] args = ["-v", .. endpoints, "-u", end.UdpBind, "-p", end.DeliverTo.ToString(), .. extraArgs];
            var (command, commandArgs) = end.Inside is { } inside ? inside.Wrap(nsenter!, program, args) : (program, args);
            return new ChildTunnel(name, command, commandArgs, environment);
        }

        var farEnd = StartEnd("listen", far, ["-l", listenOn, .. TunnelTlsArgs.Listen(tls)]);
        ChildTunnel? nearEnd = null;
        try
        {
            var (tcp, _) = ParseEndpoints(farEnd.WaitForLine("listening on tcp ", StartTimeout));
            nearEnd = StartEnd("connect", near, TunnelTlsArgs.Connect(tls, tcp));
            var entry = ParseUdpEntry(nearEnd.WaitForLine("connecting to tcp ", StartTimeout));
            string kind = nearEnd.WaitForLine("udp data path: ", StartTimeout);
            nearEnd.WaitForLine("link up: connected", StartTimeout);
            farEnd.WaitForLine("link up: accepted", StartTimeout);
            return new SpawnedTunnels(farEnd, nearEnd, entry, kind[(kind.IndexOf("udp data path: ", StringComparison.Ordinal) + 15)..]);
        }
        catch
        {
            nearEnd?.Dispose();
            farEnd.Dispose();
            throw;
        }
    }

    /// <summary>User + system time of both tunnel processes so far; null where the OS does not tell.</summary>
    public TimeSpan? CpuTime() => _far.CpuTime + _near.CpuTime;

    /// <summary>The listen end's process id (in its namespace, if it has one: the same process).</summary>
    public int FarId => _far.Id;

    /// <summary>The connect end's process id.</summary>
    public int NearId => _near.Id;

    /// <summary>The near end's statistics line now (SIGUSR1): the udp->tcp direction, where the bench's datagrams enter and may be dropped.</summary>
    public string NearStatistics(TimeSpan timeout) => _near.RequestStatistics(timeout);

    public void Dispose()
    {
        _near.Dispose();
        _far.Dispose();
    }

    /// <summary>The TCP and UDP addresses in a start-up line: "... tcp 127.0.0.1:41234, udp 127.0.0.1:50001 -> 127.0.0.1:50000".</summary>
    public static (IPEndPoint Tcp, IPEndPoint Udp) ParseEndpoints(string line) =>
        (ParseBetween(line, " tcp ", ", udp "), ParseUdpEntry(line));

    /// <summary>
    /// The UDP address alone: a connect end's line may give its TCP side as a URL instead
    /// ("connecting to tcp https://127.0.0.1:41234/bench, udp 127.0.0.1:50001 -> 127.0.0.1:50000").
    /// </summary>
    public static IPEndPoint ParseUdpEntry(string line) => ParseBetween(line, ", udp ", " -> ");

    private static IPEndPoint ParseBetween(string line, string before, string after)
    {
        int start = line.IndexOf(before, StringComparison.Ordinal);
        int end = start < 0 ? -1 : line.IndexOf(after, start + before.Length, StringComparison.Ordinal);
        if (end < 0 || !IPEndPoint.TryParse(line.AsSpan(start + before.Length, end - start - before.Length), out var endpoint))
        {
            throw new BenchException($"cannot read the tunnel's addresses from its log line: {line}");
        }

        return endpoint;
    }
}
