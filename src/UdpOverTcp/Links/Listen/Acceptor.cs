using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Host;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// The listen side's door: one thread accepts on every listener and, with set-up steps (--tls-cert,
/// --http-upgrade, --secret-file), carries every connection's steps under way at once (<see cref="PendingHandshakes"/>, which decides who is admitted). It waits
/// on all the sockets together (<see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>,
/// a poll) and reads without waiting: no thread and no async call per connection, and a socket that
/// becomes the link has never met the .NET sockets engine (see <see cref="SocketsEngine"/>). The connect
/// side speaks first, so a connection costs only a socket until its hello is in. Out of descriptors
/// (EMFILE), it closes the least advanced handshake to make room, or pauses accepting for a moment when
/// there is nothing to close.
/// </summary>
public sealed class Acceptor
{
    /// <summary>
    /// The listeners' accept queue. Under a flood, evicted strangers come straight back: with a short
    /// queue (it was 16) the peer's SYN found it full and was dropped, and TCP tried again only 1 s,
    /// then 3 s later. The kernel bounds it further by net.core.somaxconn.
    /// </summary>
    public const int Backlog = 1024;

    /// <summary>Connections taken from one listener before the pending handshakes get a turn.</summary>
    private const int AcceptBatch = 64;

    /// <summary>The longest wait in one poll, so a stop is seen even where closing a listener does not wake it.</summary>
    private const int MaxWaitMilliseconds = 1000;

    private static readonly TimeSpan FirstAcceptPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LastAcceptPause = TimeSpan.FromSeconds(1);

    private readonly Socket[] _listeners;
    private readonly AddressFilter _allow;
    private readonly TunnelStats _stats;
    private readonly Action<Socket, TlsLinkCodec?> _install;
    private readonly List<Socket> _ready = [];
    private readonly RejectionLog _rejections;

    /// <summary>The set-up steps under way; null without any (a connection is the link at once).</summary>
    private readonly PendingHandshakes? _handshakes;
    private long _acceptPausedUntil;
    private TimeSpan _acceptPause = TimeSpan.Zero;
    private long _nextAcceptWarning;

    /// <param name="steps">What each connection goes through before it is the link, and how long it has for it.</param>
    /// <param name="install">Takes an accepted connection that passed its steps as the link, with its TLS (or null); runs on the acceptor's thread.</param>
    /// <param name="rejections">Where connections closed before they carried anything are told; the acceptor's thread also sums it up when due.</param>
    public Acceptor(Socket[] listeners, AddressFilter allow, ListenSteps steps, TunnelStats stats, Action<Socket, TlsLinkCodec?> install, RejectionLog rejections)
    {
        _listeners = listeners;
        _allow = allow;
        _stats = stats;
        _install = install;
        _rejections = rejections;
        bool peerSpeaksFirst = steps.Any;
        _handshakes = peerSpeaksFirst ? new PendingHandshakes(steps, stats, _rejections, install) : null;
        foreach (var listener in listeners)
        {
            // An accept that finds the connection gone returns at once instead of waiting for the next one.
            listener.Blocking = false;
            if (peerSpeaksFirst && OperatingSystem.IsLinux())
            {
                // The connect side sends its hello (or its Upgrade request) with its connection, so Linux may keep
                // a connection that says nothing in its SYN queue, without a descriptor, for the handshake timeout
                // (rounded up to its SYN-ACK retransmit steps: 1, 3, 7 s...). The peer's connection comes up with its hello.
                int seconds = (int)Math.Ceiling(steps.Timeout.TotalSeconds);
                SocketOptions.SetDeferAccept(listener, seconds);
            }
        }
    }

    /// <summary>Runs on a thread of its own (<see cref="TunnelThreads.Accept"/>) until <paramref name="cancellationToken"/> fires.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => TunnelThreads.Run(TunnelThreads.Accept, () => Run(cancellationToken));

    /// <summary>
    /// Runs on: its own thread (<see cref="TunnelThreads.Accept"/>), woken by a poll on the listeners and the
    /// handshakes under way (a connection, a hello's bytes), its timeout (a deadline) or a stop. The install
    /// callback, and so each new link's start, runs here.
    /// </summary>
    private void Run(CancellationToken cancellationToken)
    {
        // Shutting a listener down wakes a poll on it (Linux); elsewhere the poll's own timeout does.
        using var wake = cancellationToken.Register(StopListening);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    WaitAndServe(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Never expected: one line, a pause so a bug that repeats cannot spin, then on.
                    Log.Error($"accepting: {e.GetType().Name}: {e.Message}");
                    cancellationToken.WaitHandle.WaitOne(MaxWaitMilliseconds);
                }
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the listeners were shut down under it. Anything else is a bug, worth a line, not a crash.
            if (e is not (ObjectDisposedException or SocketException))
            {
                Log.Error($"accepting, while stopping: {e.GetType().Name}: {e.Message}");
            }
        }
        finally
        {
            _handshakes?.CloseAll();
        }
    }

    /// <summary>One round: expire what is overdue, wait for the listeners and the handshakes, serve what is ready.</summary>
    private void WaitAndServe(CancellationToken cancellationToken)
    {
        long now = Stopwatch.GetTimestamp();
        _handshakes?.ExpireOverdue(now);
        _rejections.SummarizeIfDue(now);
        bool accepting = now >= _acceptPausedUntil;
        _ready.Clear();
        if (accepting)
        {
            _ready.AddRange(_listeners);
        }

        _handshakes?.AddSocketsTo(_ready);
        int wait = WaitMilliseconds(now, accepting);
        if (_ready.Count == 0)
        {
            cancellationToken.WaitHandle.WaitOne(wait);
            return;
        }

        try
        {
            Socket.Select(_ready, null, null, wait * 1000);
        }
        catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
        {
            // E.g. EINVAL: more sockets than the descriptor limit allows polling, after it was lowered.
            CopeWithShortage("poll", e, outOfResources: true);
            return;
        }

        foreach (var socket in _ready)
        {
            if (Array.IndexOf(_listeners, socket) >= 0)
            {
                AcceptFrom(socket, cancellationToken);
            }
            else
            {
                _handshakes?.TryAdvance(socket);   // false when it was closed to make room meanwhile
            }
        }
    }

    /// <summary>Runs on the thread that cancels (the signal handler's): nothing may escape it.</summary>
    private void StopListening()
    {
        foreach (var listener in _listeners)
        {
            try
            {
                listener.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            catch (Exception e)
            {
                Log.Error($"stopping a listener: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void AcceptFrom(Socket listener, CancellationToken cancellationToken)
    {
        for (int i = 0; i < AcceptBatch && !cancellationToken.IsCancellationRequested; i++)
        {
            if (i > 0 && !listener.Poll(0, SelectMode.SelectRead))
            {
                return;
            }

            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                continue;   // that connection is gone already
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                CopeWithShortage("accept", e, e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable);
                return;
            }

            _acceptPause = TimeSpan.Zero;
            Admit(socket);
        }
    }

    /// <summary>
    /// Out of descriptors (EMFILE, ENFILE) or memory, or another error that would fail again at once:
    /// close the least advanced handshake to make room and try again, or, with none, leave the
    /// listeners out of the poll for a while (50 ms doubling to 1 s) instead of spinning on them.
    /// </summary>
    private void CopeWithShortage(string call, SocketException e, bool outOfResources)
    {
        bool madeRoom = outOfResources && _handshakes is not null && _handshakes.EvictOne();
        if (madeRoom)
        {
            _handshakes!.ShrinkToCount();
        }

        long now = Stopwatch.GetTimestamp();
        if (!madeRoom)
        {
            _acceptPause = _acceptPause == TimeSpan.Zero ? FirstAcceptPause : TimeSpan.FromTicks(Math.Min(_acceptPause.Ticks * 2, LastAcceptPause.Ticks));
            _acceptPausedUntil = now + (long)(_acceptPause.TotalSeconds * Stopwatch.Frequency);
        }

        if (now >= _nextAcceptWarning)
        {
            _nextAcceptWarning = now + (RejectionLog.Interval.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
            // .NET words EMFILE (this process's limit, the usual one) as ENFILE (the system's): say both.
            string why = e.SocketErrorCode == SocketError.TooManyOpenSockets
                ? "out of file descriptors (the process's limit, ulimit -n, or the system's)"
                : e.Message;
            string what = madeRoom ? $"closing the oldest unauthenticated connections to make room ({_handshakes!.Capacity} handshakes at most until the flood is over)"
                : $"pausing accepts for {_acceptPause.TotalSeconds:0.0#} s";
            Log.Warn($"{call} failed: {why}; {what} (said at most once a minute)");
        }
    }

    private void Admit(Socket socket)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        if (!_allow.IsEmpty && (remote is null || !_allow.Allows(remote.Address)))
        {
            Interlocked.Increment(ref _stats.LinksRefused);
            Log.Debug($"connection from {remote} refused: not in --tcp-allow");
            socket.Dispose();
            return;
        }

        if (_handshakes is null)
        {
            _install(socket, null);
            return;
        }

        _handshakes.Add(socket, remote);
    }

    /// <summary>Until the next deadline, the end of an accept pause or a summary line falls due, at most <see cref="MaxWaitMilliseconds"/>.</summary>
    private int WaitMilliseconds(long now, bool accepting)
    {
        long until = now + (MaxWaitMilliseconds * Stopwatch.Frequency / 1000);
        until = _handshakes?.NextDeadline(until) ?? until;
        if (!accepting)
        {
            until = Math.Min(until, _acceptPausedUntil);
        }

        until = Math.Min(until, _rejections.SummaryDue);
        // Rounded up, so a deadline is past when the poll returns.
        return (int)Math.Max(0, ((until - now) * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }


}
