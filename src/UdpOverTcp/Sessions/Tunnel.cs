using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Links.Connect;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Sessions;

/// <summary>
/// One tunnel end, orchestration only: the sockets (<see cref="SocketSetup"/>), the data path
/// (<see cref="DataPathFactory"/>: the UDP pump and the links' loops), one <see cref="Session"/> (the
/// UDP socket and its live link), and a link source: the <see cref="Acceptor"/> on the listen side,
/// whose new connection replaces the live link, or the <see cref="Dialer"/> on the connect side, which
/// dials again when it ends. With --multi-client, the listen side has no session of its own:
/// <see cref="ClientSessions"/> gives each accepted connection one. No link error ends the tunnel; only cancellation does, and then every
/// task it started has ended when <see cref="RunAsync"/> returns.
/// </summary>
public sealed class Tunnel : IDisposable
{
    private readonly TunnelOptions _options;
    private readonly FrameCodec _codec;
    private readonly DataPathFactory _dataPath;
    private readonly LinkAuthenticator? _auth;
    private readonly Socket _udp;
    private readonly Socket[] _listeners;
    private readonly UdpPump? _pump;
    private readonly Session? _session;
    private readonly ClientSessions? _clients;

    /// <summary>Connections the listen side closed before they carried anything: unauthenticated, or no room for another client.</summary>
    private readonly RejectionLog _rejections;
    private readonly BackgroundTasks _links = new();

    /// <summary>Binds the UDP socket (and the TCP listeners on the listen side) at once, so bind errors surface here.</summary>
    public Tunnel(TunnelOptions options)
    {
        _options = options;
        _codec = new FrameCodec(options.Framing, options.MaxFrame);
        _dataPath = DataPathFactory.For(options.DataPath);
        _auth = options.Secret is { } secret ? new LinkAuthenticator(secret, options.HandshakeTimeout) : null;
        _rejections = new RejectionLog(options.HandshakeTimeout, options.MaxClients);
        // With --multi-client the clients' sockets come later; this one only proves the address can be bound.
        _udp = SocketSetup.BindUdp(options, ephemeral: options.MultiClient);
        try
        {
            _listeners = SocketSetup.ListenAll(options);   // or, connecting, checks that --fwmark can be set
        }
        catch
        {
            _udp.Dispose();
            throw;
        }

        Stats = new TunnelStats { CountsClients = options.MultiClient };
        if (options.MultiClient)
        {
            _udp.Dispose();
            _clients = new ClientSessions(options, _codec, Stats, CreateLink, _rejections);
            return;
        }

        _pump = _dataPath.CreatePump(_udp, options.UdpSendTo!, options.UdpPeerOnly, _codec, Stats);
        _session = new Session(_udp, _pump, Stats);
    }

    public TunnelStats Stats { get; }

    /// <summary>The bound UDP address (the real port when --udp-bind asked for port 0); with --multi-client, the address with port 0.</summary>
    public IPEndPoint UdpEndPoint => _clients is null ? (IPEndPoint)_udp.LocalEndPoint! : new IPEndPoint(_options.UdpBind!.Address, 0);

    /// <summary>The (first) listening TCP address on the listen side, null on the connect side.</summary>
    public IPEndPoint? TcpListenEndPoint => _listeners.Length > 0 ? (IPEndPoint?)_listeners[0].LocalEndPoint : null;

    /// <summary>
    /// The listeners' addresses, ", " between them. A loop, not LINQ's Select: that is a generic virtual
    /// method, and resolving one at run time brings the runtime's type loader into the binary.
    /// </summary>
    private string ListenEndPoints()
    {
        var endPoints = new object?[_listeners.Length];
        for (int i = 0; i < endPoints.Length; i++)
        {
            endPoints[i] = _listeners[i].LocalEndPoint;
        }

        return string.Join(", ", endPoints);
    }

    /// <summary>Which UDP pump runs (the data path's kind), e.g. "batched (recvmmsg/sendmmsg, UDP GSO)".</summary>
    public string PumpKind => _pump?.Kind ?? _clients!.Kind;

    /// <summary>The counters, plus the current link's peer, uptime and kernel figures (rtt, cwnd...): the --stats / SIGUSR1 / exit line.</summary>
    public string StatusLine()
    {
        if (_session is null)
        {
            _clients!.LogEach();   // at debug level, a line per client
            return Stats.Summary();   // the clients are counted there
        }

        var link = _session.CurrentLink(out long since, out string peer);
        string state = link is not null ? $"link {peer} up {FormatUptime(Stopwatch.GetElapsedTime(since))}{KernelFigures.Suffix(link.KernelFiguresNow(), " ")}" : "no link";
        return $"{state}; {Stats.Summary()}";
    }

    /// <summary>Completes when a link is up (now, or the next one). For tests and the bench, which must not race the link.</summary>
    public Task WhenLinkUp() => _session?.WhenLinkUp() ?? _clients!.WhenJoined();

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> fires. Never throws for link errors.
    /// <paramref name="ready"/> is called once, with the "listening on ..." / "connecting to ..." line, when
    /// the tunnel is ready: its sockets are bound (and listening) and its link source has started. On the
    /// connect side that is before any link is up: the end is ready to carry datagrams as soon as one
    /// is, and a peer that is down for hours must not hold up whatever waits for it (systemd's start).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken, Action<string>? ready = null)
    {
        string started = _listeners.Length > 0
            ? $"listening on tcp {ListenEndPoints()}, udp {UdpEndPoint} -> {_options.UdpSendTo}"
            : $"connecting to tcp {Dialer.Describe(_options)}, udp {UdpEndPoint} -> {_options.UdpSendTo}";
        Log.Info(started);
        Log.Debug($"udp data path: {PumpKind}");
        if (_clients is not null)
        {
            Log.Info($"multi-client: a udp socket per client on {_options.UdpBind!.Address}, at most {_options.MaxClients} clients");
            _clients.CheckDescriptorLimit();
        }

        var receiving = _session?.RunReceiveLoopAsync() ?? Task.CompletedTask;
        var source = _listeners.Length > 0
            ? new Acceptor(_listeners, _options.TcpAllow, ListenSteps(), Stats, _clients is null ? InstallAccepted : _clients.Install, _rejections).RunAsync(cancellationToken)
            : new Dialer(_options, _auth, Stats, RunDialedLinkAsync).RunAsync(cancellationToken);
        ready?.Invoke(started);
        try
        {
            await source.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            DisposeListeners();
            _session?.Stop();
            await receiving.ConfigureAwait(false);
            if (_clients is not null)
            {
                await _clients.StopAllAsync().ConfigureAwait(false);
            }

            await _links.WhenAll().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        DisposeListeners();
        _session?.Stop();
        _clients?.StopAllAsync();   // ends them; RunAsync awaits them
    }

    private ListenSteps ListenSteps() => new(_options.TlsServer, _options.UpgradePath, _auth, _auth?.Timeout ?? _options.HandshakeTimeout);

    /// <summary>An accepted connection that passed its set-up steps (TLS, the Upgrade, the secret's) becomes the live link. Runs on the acceptor's thread.</summary>
    private void InstallAccepted(Socket socket, TlsLinkCodec? tls)
    {
        TcpLink link;
        try
        {
            link = CreateLink(socket, _dataPath);
        }
        catch
        {
            tls?.Dispose();
            throw;
        }

        link.Tls = tls;   // before the session starts its loops
        _links.Track(_session!.RunLinkAsync(link, "accepted", link.Remote));
    }

    /// <summary>A dialed (and authenticated) connection becomes the live link; completes when it has ended.</summary>
    /// <param name="peer">The peer as the logs show it: the address, with the name and the proxy it went through.</param>
    private Task RunDialedLinkAsync(Socket socket, string peer, TlsLinkCodec? tls)
    {
        var link = CreateLink(socket, _dataPath);
        link.Tls = tls;   // before the session starts its loops
        var run = _session!.RunLinkAsync(link, "connected to", peer);
        _links.Track(run);
        return run;
    }

    /// <summary>A link over an accepted or dialed socket, with the loops of <paramref name="dataPath"/> (the clients' own, with --multi-client).</summary>
    private TcpLink CreateLink(Socket socket, DataPathFactory dataPath)
    {
        TcpKeepAlive.Apply(socket, _options.TcpTimeoutSeconds, _options.TcpKeepAliveSeconds);
        return dataPath.CreateLink(socket, _codec, _options.TcpNoDelay, _options.Queues, Stats);
    }

    private void DisposeListeners()
    {
        foreach (var listener in _listeners ?? [])
        {
            listener.Dispose();
        }
    }

    public static string FormatUptime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";
}
