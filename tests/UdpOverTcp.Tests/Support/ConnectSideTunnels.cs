using System.Net;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The README's two tunnel ends on one host, where the test chooses how the connect side reaches the
/// listen side: which address the listen side takes, and the connect side's whole TCP command line
/// (a host name, a proxy) and launcher (e.g. inside a <see cref="PrivateHosts"/>). As in
/// <see cref="ReadmeTunnels"/>, app X and app Y sit beside them and either end can be restarted.
/// </summary>
public sealed class ConnectSideTunnels : IAsyncDisposable
{
    private readonly int _ay = FreePort.Udp();
    private readonly int _bx = FreePort.Udp();
    public int TcpPort { get; } = FreePort.Tcp();

    public UdpApp AppX { get; } = new();

    public UdpApp AppY { get; } = new();

    public TunnelProcess? ListenSide { get; private set; }

    public TunnelProcess? ConnectSide { get; private set; }

    /// <summary>Options both ends take (e.g. --framing u16be, --secret-file PATH).</summary>
    public string[] CommonArgs { get; init; } = [];

    /// <summary>Options the listen side alone takes (e.g. --http-upgrade PATH).</summary>
    public string[] ListenArgs { get; init; } = [];

    /// <summary>
    /// Both ends queue by bytes only (--queue-delay 0): the exchanges here are lossless by design, and on
    /// a loaded 2-core machine the first datagrams after a new link came up have waited more than the
    /// default 5 ms for its send thread and were dropped as stale (seen: "4 stale" on both ends, nothing lost in the proxy).
    /// </summary>
    private static readonly string[] QueueByBytesOnly = ["--queue-delay", "0"];

    /// <summary>Where app X sends to reach app Y, and the address app X sees replies from.</summary>
    public IPEndPoint XEntry => new(IPAddress.Loopback, _bx);

    /// <summary>Where app Y sends to reach app X, and the address app Y sees replies from.</summary>
    public IPEndPoint YEntry => new(IPAddress.Loopback, _ay);

    /// <summary>(Re)starts the listen side on <paramref name="address"/>:<see cref="TcpPort"/>; returns once it listens.</summary>
    public async Task StartListenSideAsync(string address = "127.0.0.1")
    {
        ListenSide?.Dispose();
        ListenSide = TunnelProcess.Start(["--tcp-listen", $"{address}:{TcpPort}", "--udp-bind", _ay.ToString(), "--udp-sendto", AppY.EndPoint.Port.ToString(), .. QueueByBytesOnly, .. CommonArgs, .. ListenArgs]);
        await ListenSide.WaitForLineAsync("listening on tcp");
    }

    /// <summary>
    /// Starts the connect side with <paramref name="tcpArgs"/> (e.g. -t NAME:PORT --proxy URL) and <see cref="CommonArgs"/>;
    /// <paramref name="sendTo"/> replaces app X's address in --udp-sendto (e.g. a name).
    /// </summary>
    public void StartConnectSide(string[] tcpArgs, Func<string[], TunnelProcess>? launcher = null, string? sendTo = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        string[] args = [.. tcpArgs, "--udp-bind", _bx.ToString(), "--udp-sendto", sendTo ?? AppX.EndPoint.Port.ToString(), .. QueueByBytesOnly, .. CommonArgs];
        ConnectSide = launcher is not null ? launcher(args)
            : environment is not null ? TunnelProcess.StartWithEnvironment(environment, args)
            : TunnelProcess.Start(args);
    }

    /// <summary>Waits until both ends report the link (the connect side's <paramref name="occurrence"/>-th `link up`); returns the connect side's line.</summary>
    public async Task<string> LinkUpAsync(int occurrence = 1)
    {
        string line = await ConnectSide!.WaitForLineAsync("link up: connected", occurrence);
        await ListenSide!.WaitForLineAsync("link up: accepted");
        return line;
    }

    /// <summary>Sequence-checked datagrams both ways: each arrives once, whole, in order, from the bonded address.</summary>
    /// A failure says what each end counted (e.g. datagrams dropped as stale).
    public async Task ExchangeBothWaysAsync(int count, int seed)
    {
        var xToY = VerifiedExchange.RunAsync(AppX, XEntry, AppY, YEntry, VerifiedExchange.MixedSizes(count, seed));
        var yToX = VerifiedExchange.RunAsync(AppY, YEntry, AppX, XEntry, VerifiedExchange.MixedSizes(count, seed + 1000));
        try
        {
            await Task.WhenAll(xToY, yToX);
        }
        catch (Exception e)
        {
            string which = xToY.IsFaulted ? "x->y" : "y->x";
            throw new InvalidOperationException(
                $"{which}: {e.Message}\nconnect side {await ConnectSide!.RequestStatsAsync()}\nlisten side {await ListenSide!.RequestStatsAsync()}", e);
        }
    }

    public ValueTask DisposeAsync()
    {
        ConnectSide?.Dispose();
        ListenSide?.Dispose();
        AppX.Dispose();
        AppY.Dispose();
        return ValueTask.CompletedTask;
    }
}
