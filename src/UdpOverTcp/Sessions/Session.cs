using System.Diagnostics;
using System.Net.Sockets;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Host;

namespace UdpOverTcp.Sessions;

/// <summary>
/// One UDP socket, its pump, and the TCP link its datagrams go over: at most one at a time, and a new
/// one replaces the old (the single-link policy of the original tool). The seam for many clients on
/// one server port: with --multi-client, each accepted connection gets a session of its own
/// (<see cref="ClientSessions"/>), which then says its own lines, at debug level.
/// </summary>
public sealed class Session
{
    private readonly Socket _udp;
    private readonly UdpPump _pump;
    private readonly TunnelStats _stats;
    private readonly Lock _gate = new();
    private TcpLink? _link;
    private string _linkPeer = "";
    private long _linkSince;
    private bool _stopped;
    private readonly bool _perClient;
    private TaskCompletionSource _linkUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="perClient">One of many clients' sessions: no info line per link (ClientSessions says them at debug level).</param>
    public Session(Socket udp, UdpPump pump, TunnelStats stats, bool perClient = false)
    {
        _udp = udp;
        _pump = pump;
        _stats = stats;
        _perClient = perClient;
    }

    /// <summary>The UDP socket's port; 0 once it is closed.</summary>
    public int UdpPort
    {
        get
        {
            try
            {
                return (_udp.LocalEndPoint as System.Net.IPEndPoint)?.Port ?? 0;
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    /// <summary>What this session's pump carried: datagrams from the app and to it.</summary>
    public PumpCounts Counts => _pump.Counts;

    /// <summary>The live link, since when it is up (Stopwatch ticks) and its peer as logged; null when there is none.</summary>
    public TcpLink? CurrentLink(out long since, out string peer)
    {
        lock (_gate)
        {
            since = _linkSince;
            peer = _linkPeer;
            return _link is { IsClosed: false } ? _link : null;
        }
    }

    /// <summary>Completes when a link is up (now, or the next one).</summary>
    public Task WhenLinkUp()
    {
        lock (_gate)
        {
            return _link is { IsClosed: false } ? Task.CompletedTask : _linkUp.Task;
        }
    }

    /// <summary>UDP → TCP for the life of the session, on the pump's thread (batched) or the sockets engine's completions (portable); ends after <see cref="Stop"/>.</summary>
    public Task RunReceiveLoopAsync() => Task.Run(_pump.RunReceiveLoopAsync, CancellationToken.None);

    /// <summary>
    /// Makes <paramref name="link"/> the live link and runs it to its end: TCP → UDP delivery here, UDP
    /// → TCP in the pump. The link it replaces is aborted. After <see cref="Stop"/>, a link that comes
    /// late (a handshake that finished meanwhile) is closed at once instead.
    /// Runs on: the thread that installs the link (the acceptor's; a pool thread for a dialed link) up to the
    /// delivery's first read. The delivery (<see cref="TcpToUdp"/>) then runs wherever the link's receive
    /// loop flushes: the link's <see cref="TunnelThreads.TcpToUdp"/> thread (<see cref="ThreadedLinkLoops"/>)
    /// or the engine's completions (<see cref="EngineLinkLoops"/>); so does the rest of this method.
    /// </summary>
    /// <param name="how">"accepted" or "connected to", for the `link up` line.</param>
    /// <param name="peer">Who is at the other end, for the log lines: the address, or e.g. "name:443 via http proxy 10.0.0.1:3128".</param>
    public async Task RunLinkAsync(TcpLink link, string how, string peer)
    {
        if (!TryInstall(link, how, peer))
        {
            link.Abort(LinkEnd.ShuttingDown);
            link.Socket.Dispose();   // never started: no loop holds it
            return;
        }

        Interlocked.Increment(ref _stats.LinksEstablished);
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

        link.Abort(LinkEnd.Closed);
        await link.Closed.ConfigureAwait(false);
        lock (_gate)
        {
            if (ReferenceEquals(_link, link))
            {
                _link = null;
                _pump.Link = null;
            }
        }

        if (_perClient)
        {
            return;   // ClientSessions says when a client leaves
        }

        // At debug level the line carries what the kernel's TCP went through (rtt, retransmissions...).
        string? figures = link.KernelFiguresAtEnd;
        if (link.CloseReason is { Kind: not (LinkEndKind.Replaced or LinkEndKind.ShuttingDown) } reason)
        {
            Log.Info($"link down: {peer} {reason.Text}{KernelFigures.Suffix(figures)}");
        }
        else if (figures is not null)
        {
            Log.Debug($"link {peer} ended ({link.CloseReason?.Text}): {figures}");
        }
    }

    /// <summary>Ends the live link and the pump, and closes the UDP socket. Links that come later are refused.</summary>
    public void Stop()
    {
        TcpLink? link;
        lock (_gate)
        {
            _stopped = true;
            link = _link;
            _link = null;
            _pump.Link = null;
        }

        link?.Abort(LinkEnd.ShuttingDown);
        _pump.Stop();
        _udp.Dispose();   // ends the portable pump's pending receive
    }

    private bool TryInstall(TcpLink link, string how, string peer)
    {
        TcpLink? old;
        lock (_gate)
        {
            if (_stopped)
            {
                return false;
            }

            old = _link;
            _link = link;
            _linkPeer = peer;
            _linkSince = Stopwatch.GetTimestamp();
            _pump.Link = link;
            _linkUp.TrySetResult();
            _linkUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (old is not null && !old.IsClosed)
        {
            Log.Warn($"link from {link.Remote} replaces link from {old.Remote}");
            old.Abort(LinkEnd.Replaced(link.Remote));
        }
        else if (!_perClient)
        {
            Log.Info($"link up: {how} {peer}");
        }

        return true;
    }
}
