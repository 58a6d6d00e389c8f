using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Framing;
using UdpOverTcp.Transport;

namespace UdpOverTcp;

/// <summary>
/// One tunnel end: the bound UDP socket, the UDP pump, and at most one live TCP link, which the
/// listen side replaces on each new connection and the connect side re-dials with backoff.
/// No link error ends the tunnel; only cancellation does.
/// </summary>
public sealed class Tunnel : IDisposable
{
    /// <summary>A link that stayed up this long was healthy: the next failure starts backoff from the beginning.</summary>
    private static readonly TimeSpan HealthyLinkTime = TimeSpan.FromSeconds(1);

    private readonly TunnelOptions _options;
    private readonly FrameCodec _codec;
    private readonly Transport.DataPath _dataPath;
    private readonly Socket _udp;
    private readonly Socket[] _listeners;
    private readonly UdpPump _pump;
    private readonly Lock _linkGate = new();
    private TcpLink? _link;
    private long _linkSince;
    private TaskCompletionSource _linkUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LinkAuthenticator? _auth;

    /// <summary>Binds the UDP socket (and the TCP listener on the listen side) at once, so bind errors surface here.</summary>
    public Tunnel(TunnelOptions options)
    {
        _options = options;
        _codec = new FrameCodec(options.Framing, options.MaxFrame);
        _dataPath = Transport.DataPath.For(options.DataPath);
        _auth = options.Secret is { } secret ? new LinkAuthenticator(secret, options.HandshakeTimeout) : null;
        _udp = BindUdp(options);
        try
        {
            if (options.Role == TcpRole.Listen)
            {
                _listeners = ListenAll(options);   // sets --fwmark on each listener, failing here as the probe would
            }
            else
            {
                CheckFwMark(options);
                _listeners = [];
            }
        }
        catch
        {
            _udp.Dispose();
            throw;
        }

        _pump = _dataPath.CreatePump(_udp, options.UdpSendTo!, options.UdpPeerOnly, _codec, Stats);
    }

    public TunnelStats Stats { get; } = new();

    /// <summary>The bound UDP address (the real port when --udp-bind asked for port 0).</summary>
    public IPEndPoint UdpEndPoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>The (first) listening TCP address on the listen side, null on the connect side.</summary>
    public IPEndPoint? TcpListenEndPoint => _listeners.Length > 0 ? (IPEndPoint?)_listeners[0].LocalEndPoint : null;

    /// <summary>Which UDP data path runs, e.g. "batched (recvmmsg/sendmmsg, UDP GSO)".</summary>
    public string DataPath => _pump.Kind;

    /// <summary>The counters, plus the current link's peer and uptime: the --stats / SIGUSR1 / exit line.</summary>
    public string StatusLine()
    {
        TcpLink? link;
        long since;
        lock (_linkGate)
        {
            link = _link;
            since = _linkSince;
        }

        string state = link is { IsClosed: false }
            ? $"link {link.Remote} up {FormatUptime(Stopwatch.GetElapsedTime(since))}"
            : "no link";
        return $"{state}; {Stats.Summary()}";
    }

    /// <summary>Completes when a link is up (now, or the next one). For tests and the bench, which must not race the link.</summary>
    public Task WhenLinkUp()
    {
        lock (_linkGate)
        {
            return _link is { IsClosed: false } ? Task.CompletedTask : _linkUp.Task;
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires. Never throws for link errors.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Log.Info(_listeners.Length > 0
            ? $"listening on tcp {string.Join(", ", _listeners.Select(l => l.LocalEndPoint))}, udp {UdpEndPoint} -> {_options.UdpSendTo}"
            : $"connecting to tcp {_options.TcpEndpoint}, udp {UdpEndPoint} -> {_options.UdpSendTo}");
        Log.Debug($"udp data path: {_pump.Kind}");

        var pump = Task.Run(_pump.RunReceiveLoopAsync, CancellationToken.None);
        var links = _listeners.Length > 0
            ? new Acceptor(_listeners, _options.TcpAllow, _auth, Stats, InstallAccepted).RunAsync(cancellationToken)
            : ConnectLoopAsync(cancellationToken);
        try
        {
            await links.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            DisposeListeners();
            SetLink(null)?.Abort("shutting down");
            _pump.Stop();
            _udp.Dispose();   // ends the portable pump's pending receive
            await pump.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        DisposeListeners();
        _udp.Dispose();
        SetLink(null)?.Abort("disposed");
    }

    /// <summary>Makes an accepted (and, with a secret, authenticated) connection the live link, replacing the current one.</summary>
    private void InstallAccepted(Socket socket)
    {
        var link = CreateLink(socket);
        var old = SetLink(link);
        if (old is not null && !old.IsClosed)
        {
            Log.Warn($"link from {link.Remote} replaces link from {old.Remote}");
            old.Abort($"replaced by {link.Remote}");
        }
        else
        {
            Log.Info($"link up: accepted {link.Remote}");
        }

        _ = RunLinkAsync(link);
    }

    private async Task ConnectLoopAsync(CancellationToken cancellationToken)
    {
        var backoff = Backoff.Default();
        var endpoint = _options.TcpEndpoint!;
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            SetTcpBuffers(socket, _options);   // before connecting, so the window scale is negotiated for them
            SetFwMark(socket, _options);       // before connecting, so the SYN is routed by it too
            string? failure = null;
            try
            {
                await BlockingSetup.ConnectAsync(socket, endpoint, _options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                if (_auth is not null)
                {
                    var outcome = await _auth.AuthenticateAsync(socket, TcpRole.Connect, cancellationToken).ConfigureAwait(false);
                    if (outcome != HandshakeOutcome.Authenticated)
                    {
                        failure = _auth.DescribeForConnectSide(outcome);
                        if (outcome is HandshakeOutcome.ProofMismatch or HandshakeOutcome.NotAHello)
                        {
                            Interlocked.Increment(ref Stats.AuthFailures);
                        }
                    }
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failure = e is SocketException se ? se.Message : "timed out";
            }

            if (failure is not null)
            {
                socket.Dispose();
                Interlocked.Increment(ref Stats.LinkFailures);
                var delay = backoff.Next();
                Log.Warn($"connect to {endpoint} failed: {failure}; retrying in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var link = CreateLink(socket);
            SetLink(link);
            Log.Info($"link up: connected to {link.Remote}");
            var started = Stopwatch.GetTimestamp();
            long framesBefore = FramesFromPeer();
            await RunLinkAsync(link).WaitAsync(cancellationToken).ConfigureAwait(false);
            // A link that carried a frame or stayed up had a real tunnel end behind it: after it ends
            // (a peer restart), redial at once. Only a peer that accepts and drops keeps backing off.
            if (FramesFromPeer() > framesBefore || Stopwatch.GetElapsedTime(started) >= HealthyLinkTime)
            {
                backoff.Reset();
            }

            var retry = backoff.Next();
            Log.Debug($"reconnecting in {retry.TotalMilliseconds:0} ms");
            await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
        }
    }

    private long FramesFromPeer() => Interlocked.Read(ref Stats.UdpSent) + Interlocked.Read(ref Stats.UdpSendErrors);

    private TcpLink CreateLink(Socket socket)
    {
        TcpKeepAlive.Apply(socket, _options.TcpTimeoutSeconds, _options.TcpKeepAliveSeconds);
        var queueBound = _options.QueueDelay > TimeSpan.Zero ? new TimeBoundedQueue(_codec, _options.QueueDelay, Stats) : null;
        return _dataPath.CreateLink(socket, _codec, _options.TcpNoDelay, queueBound);
    }

    /// <summary>Runs one link to its end: TCP → UDP delivery here, UDP → TCP in the pump.</summary>
    private async Task RunLinkAsync(TcpLink link)
    {
        Interlocked.Increment(ref Stats.LinksEstablished);
        link.Start();
        try
        {
            await _pump.DeliverAsync(link).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Never expected; a bug here must end this link only, with a line saying what happened.
            Log.Error($"link {link.Remote}: {e.GetType().Name}: {e.Message}");
        }

        link.Abort("closed");
        await link.Closed.ConfigureAwait(false);
        lock (_linkGate)
        {
            if (ReferenceEquals(_link, link))
            {
                _link = null;
                _pump.Link = null;
            }
        }

        if (link.CloseReason is { } reason && !reason.StartsWith("replaced", StringComparison.Ordinal) && reason != "shutting down")
        {
            Log.Info($"link down: {link.Remote} {reason}");
        }
    }

    /// <summary>Installs <paramref name="link"/> as the live link and returns the one it replaces.</summary>
    private TcpLink? SetLink(TcpLink? link)
    {
        lock (_linkGate)
        {
            var old = _link;
            _link = link;
            _linkSince = Stopwatch.GetTimestamp();
            _pump.Link = link;
            if (link is not null)
            {
                _linkUp.TrySetResult();
                _linkUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return old;
        }
    }

    private static Socket BindUdp(TunnelOptions options)
    {
        var endpoint = options.UdpBind!;
        var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                udp.DualMode = true;
            }

            if (OperatingSystem.IsWindows())
            {
                DisableUdpConnReset(udp);
            }

            SocketBuffers.Set(udp, SocketOptionName.ReceiveBuffer, options.UdpReceiveBuffer, "udp receive");
            SocketBuffers.Set(udp, SocketOptionName.SendBuffer, options.UdpSendBuffer, "udp send");
            udp.Bind(endpoint);
            return udp;
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    private static Socket[] ListenAll(TunnelOptions options)
    {
        var listeners = new List<Socket>();
        try
        {
            foreach (var endpoint in (IEnumerable<IPEndPoint>)[options.TcpEndpoint!, .. options.MoreListenEndpoints])
            {
                listeners.Add(Listen(endpoint, options));
            }

            return [.. listeners];
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
    }

    private static Socket Listen(IPEndPoint endpoint, TunnelOptions options)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                // Alone, [::] takes IPv4 too; beside an IPv4 listener on the same port it must not.
                listener.DualMode = options.MoreListenEndpoints.Count == 0;
            }

            if (!OperatingSystem.IsWindows())
            {
                // Restarting right after a crash must not fail on connections still in TIME_WAIT.
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            SetTcpBuffers(listener, options);   // accepted sockets inherit them
            SetFwMark(listener, options);       // and the mark, for the replies
            listener.Bind(endpoint);
            listener.Listen(Acceptor.Backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private void DisposeListeners()
    {
        foreach (var listener in _listeners ?? [])
        {
            listener.Dispose();
        }
    }

    /// <summary>The connect side: fails at start-up, not at the first connection, when the mark cannot be set (no CAP_NET_ADMIN).</summary>
    private static void CheckFwMark(TunnelOptions options)
    {
        if (options.FwMark is not null)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SetFwMark(probe, options);
        }
    }

    private static void SetFwMark(Socket socket, TunnelOptions options)
    {
        const int SO_MARK = 36;   // Linux's asm-generic/socket.h
        if (options.FwMark is uint mark)
        {
            socket.SetRawSocketOption(Transport.Linux.LinuxSocketCalls.SOL_SOCKET, SO_MARK, BitConverter.GetBytes(mark));
        }
    }

    private static string FormatUptime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";

    private static void SetTcpBuffers(Socket socket, TunnelOptions options)
    {
        SocketBuffers.Set(socket, SocketOptionName.SendBuffer, options.TcpSendBuffer, "tcp send");
        SocketBuffers.Set(socket, SocketOptionName.ReceiveBuffer, options.TcpReceiveBuffer, "tcp receive");
    }

    /// <summary>Without this, Windows fails the next receive with WSAECONNRESET after an ICMP port unreachable.</summary>
    private static void DisableUdpConnReset(Socket udp)
    {
        const int SIO_UDP_CONNRESET = -1744830452;
        try
        {
            udp.IOControl(SIO_UDP_CONNRESET, [0, 0, 0, 0], null);
        }
        catch (SocketException)
        {
        }
    }
}
