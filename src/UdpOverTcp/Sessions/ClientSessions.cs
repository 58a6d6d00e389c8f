using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Sessions;

/// <summary>
/// The listen side's other session policy (--multi-client): every accepted (and, with a secret,
/// authenticated) connection gets a <see cref="Session"/> of its own, with a UDP socket bound to
/// --udp-bind's address on a port the OS picks, which sends to --udp-sendto and forwards only what comes
/// from there. The app behind the server sees each client as its own source port, as WireGuard expects of
/// roaming peers. The socket is closed when the client's link ends. Past --max-clients a connection is
/// refused, counted, and told with the acceptor's other rejections (<see cref="RejectionLog"/>).
/// <para>
/// Every client's link runs on the .NET sockets engine (<see cref="EngineLinkLoops"/>) and its UDP socket's
/// receive is async there too (<see cref="PortableUdpPump"/>), whatever --udp data path the single-link mode
/// would pick: the batched path's loops are threads of their own (a UDP receive thread per pump, two per
/// link), a thread per client that a thousand clients on a 2-core router cannot afford. On the engine an
/// idle client is only a pending receive on each of its two sockets: no thread, no CPU. On Linux the
/// clients' sends to --udp-sendto are batched all the same (<see cref="ClientUdpPump"/>): each read of a
/// client's link leaves in one sendmmsg, in a batch the clients share (<see cref="GsoRunBuilderPool"/>).
/// The acceptor still does handshakes off the engine; an engine link does not mind that.
/// </para>
/// </summary>
public sealed class ClientSessions
{
    /// <summary>Descriptors per client: its TCP socket and its UDP socket.</summary>
    private const int DescriptorsPerClient = 2;

    /// <summary>Descriptors kept for everything else: listeners, pending handshakes, the runtime's own.</summary>
    private const int OtherDescriptors = 64;

    private readonly TunnelOptions _options;
    private readonly FrameCodec _codec;
    private readonly TunnelStats _stats;
    private readonly DataPathFactory _dataPath = DataPathFactory.For(UdpDataPath.Portable);
    private readonly BackgroundTasks _running = new();
    private readonly List<Session> _live = [];
    private readonly Func<Socket, DataPathFactory, TcpLink> _createLink;

    /// <summary>The clients' shared sendmmsg batches; null where sends go one by one (not Linux, or UDP_OVER_TCP_IO=portable).</summary>
    private readonly GsoRunBuilderPool? _batches;
    private TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopped;

    /// <summary>Refusals are said with the acceptor's other rejections: at once, then summed up at most once a minute.</summary>
    private readonly RejectionLog _rejections;

    public ClientSessions(TunnelOptions options, FrameCodec codec, TunnelStats stats, Func<Socket, DataPathFactory, TcpLink> createLink, RejectionLog rejections)
    {
        _rejections = rejections;
        _options = options;
        _codec = codec;
        _stats = stats;
        _createLink = createLink;
        if (OperatingSystem.IsLinux() && options.DataPath != UdpDataPath.Portable)
        {
            _batches = new GsoRunBuilderPool(options.UdpSendTo!);
        }
    }

    /// <summary>Which data path each client runs, for the debug line and the bench.</summary>
    public string Kind => _batches is null
        ? "portable (a UDP socket per client, async on the sockets engine)"
        : "a UDP socket per client, async on the sockets engine; what is queued taken with recvfrom, sends batched with sendmmsg";

    /// <summary>At start-up: raises the descriptor limit towards what --max-clients needs (<see cref="DescriptorLimit"/>), and says when that is not enough.</summary>
    public void CheckDescriptorLimit()
    {
        ulong needed = ((ulong)_options.MaxClients * DescriptorsPerClient) + OtherDescriptors;
        if (!DescriptorLimit.TryRaise(needed, out ulong before, out ulong soft))
        {
            return;
        }

        if (soft > before)
        {
            Log.Debug($"descriptor limit raised from {before} to {soft} for --max-clients {_options.MaxClients}");
        }

        if (soft < needed)
        {
            Log.Warn($"--max-clients {_options.MaxClients} needs about {needed} file descriptors, but the limit (ulimit -n) is {soft}: "
                + $"raise it, or lower --max-clients to {Math.Max(1, ((long)soft - OtherDescriptors) / DescriptorsPerClient)}");
        }
    }

    /// <summary>Completes when a client joins (now, or the next one). For tests.</summary>
    public Task WhenJoined()
    {
        lock (_live)
        {
            return _live.Count > 0 ? Task.CompletedTask : _joined.Task;
        }
    }

    /// <summary>An accepted connection that passed its set-up steps, with its TLS (or null): a client with a UDP socket of its own, or refused. Runs on the acceptor's thread.</summary>
    public void Install(Socket socket, TlsLinkCodec? tls)
    {
        if (Interlocked.Increment(ref _stats.ClientsNow) > _options.MaxClients)
        {
            Interlocked.Decrement(ref _stats.ClientsNow);
            tls?.Dispose();
            Refuse(socket, Rejection.TooManyClients);
            return;
        }

        TcpLink link;
        try
        {
            link = _createLink(socket, _dataPath);
        }
        catch (SocketException e)
        {
            // Gone already (reset before its options could be set): nothing to refuse, nothing to count.
            Interlocked.Decrement(ref _stats.ClientsNow);
            Log.Debug($"connection closed before it could be set up: {e.Message}");
            tls?.Dispose();
            socket.Dispose();
            return;
        }

        link.Tls = tls;   // before the client's session starts its loops

        Socket udp;
        try
        {
            udp = SocketSetup.BindUdp(_options, ephemeral: true);
        }
        catch (SocketException e)
        {
            Interlocked.Decrement(ref _stats.ClientsNow);
            Log.Debug($"no udp socket for a client: {e.Message}");
            tls?.Dispose();
            Refuse(socket, Rejection.NoUdpSocket);
            return;
        }

        var session = new Session(udp, CreatePump(udp), _stats, perClient: true);
        lock (_live)
        {
            if (_stopped)
            {
                Interlocked.Decrement(ref _stats.ClientsNow);
                udp.Dispose();
                tls?.Dispose();
                socket.Dispose();
                return;
            }

            _live.Add(session);
            _joined.TrySetResult();
            _joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        long now = Interlocked.Read(ref _stats.ClientsNow);
        long most;
        while (now > (most = Interlocked.Read(ref _stats.ClientsMost)) && Interlocked.CompareExchange(ref _stats.ClientsMost, now, most) != most)
        {
        }

        Interlocked.Increment(ref _stats.ClientsTotal);
        _running.Track(RunClientAsync(session, link, ((IPEndPoint)udp.LocalEndPoint!).Port));
    }

    /// <summary>Ends every client; waits for their runs to end.</summary>
    public Task StopAllAsync()
    {
        Session[] live;
        lock (_live)
        {
            _stopped = true;
            live = [.. _live];
        }

        foreach (var session in live)
        {
            session.Stop();
        }

        return StopAllAsync(_running.WhenAll());
    }

    private async Task StopAllAsync(Task runs)
    {
        await runs.ConfigureAwait(false);
        if (OperatingSystem.IsLinux())
        {
            _batches?.Dispose();
        }
    }

    private UdpPump CreatePump(Socket udp) =>
        _batches is not null && OperatingSystem.IsLinux()
            ? new ClientUdpPump(udp, _options.UdpSendTo!, _codec, _stats, _batches)
            : new PortableUdpPump(udp, _options.UdpSendTo!, peerOnly: true, _codec, _stats);

    private async Task RunClientAsync(Session session, TcpLink link, int port)
    {
        // The link first: then the pump's first receive already has a link to go to.
        var run = session.RunLinkAsync(link, "accepted", link.Remote);
        var receiving = session.RunReceiveLoopAsync();
        long joined = Stopwatch.GetTimestamp();
        if (Log.IsEnabled(LogLevel.Debug))
        {
            Log.Debug($"client {link.Remote} joined: udp port {port} ({Interlocked.Read(ref _stats.ClientsNow)} clients)");
        }

        try
        {
            await run.ConfigureAwait(false);
        }
        finally
        {
            session.Stop();   // closes its UDP socket, which ends the receive loop
            await receiving.ConfigureAwait(false);
            lock (_live)
            {
                _live.Remove(session);
            }

            long left = Interlocked.Decrement(ref _stats.ClientsNow);
            if (Log.IsEnabled(LogLevel.Debug))
            {
                Log.Debug($"client {link.Remote} left after {Tunnel.FormatUptime(Stopwatch.GetElapsedTime(joined))}: {link.CloseReason?.Text ?? "closed"}; "
                    + $"{Carried(session.Counts)}{KernelFigures.Suffix(link.KernelFiguresAtEnd)}; udp port {port} closed ({left} clients)");
            }
        }
    }

    /// <summary>At debug level, a line per client: with the statistics line (--stats, SIGUSR1, exit).</summary>
    public void LogEach()
    {
        if (!Log.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        Session[] live;
        lock (_live)
        {
            live = [.. _live];
        }

        foreach (var session in live)
        {
            if (session.CurrentLink(out long since, out string peer) is { } link)
            {
                Log.Debug($"client {peer} on udp port {session.UdpPort}, up {Tunnel.FormatUptime(Stopwatch.GetElapsedTime(since))}: {Carried(session.Counts)}{KernelFigures.Suffix(link.KernelFiguresNow())}");
            }
        }
    }

    private static string Carried(PumpCounts counts) => $"{counts.ToApp} datagrams to the app, {counts.FromApp} from it";

    private void Refuse(Socket socket, Rejection why)
    {
        Interlocked.Increment(ref _stats.ClientsRefused);
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        socket.Dispose();
        _rejections.Add(peer, why, Stopwatch.GetTimestamp());
    }
}
