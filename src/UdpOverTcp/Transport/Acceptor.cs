using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Transport.Linux;

namespace UdpOverTcp.Transport;

/// <summary>
/// The listen side's door: one thread accepts on every listener and, with --secret-file, carries every
/// handshake under way at once. It waits on all the sockets together (<see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>,
/// a poll) and reads without waiting: no thread and no async call per connection, and a socket that
/// becomes the link has never met the .NET sockets engine (see <see cref="BlockingSetup"/>).
/// <para>
/// Admission, against strangers who connect and say nothing or trickle bytes: the connect side speaks
/// first, so a connection only costs a socket until its hello is in. At most <see cref="MaxPending"/>
/// handshakes are under way; when all are taken, the next connection is admitted and the least advanced
/// one is closed instead (one with no complete hello yet, the oldest first), so the newest comer, which
/// may be the peer with the secret, always gets its chance, and a peer whose hello is in is never pushed
/// out by connections that are not that far. Out of descriptors (EMFILE), it does the same, or pauses
/// accepting for a moment when there is nothing to close.
/// </para>
/// </summary>
internal sealed class Acceptor
{
    /// <summary>Handshakes under way at once: bounds the descriptors and memory strangers can hold.</summary>
    public const int MaxPending = 256;

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
    private readonly LinkAuthenticator? _auth;
    private readonly TunnelStats _stats;
    private readonly Action<Socket> _install;
    private readonly Dictionary<Socket, Pending> _pending = [];

    /// <summary>Handshakes still waiting for the peer's hello, oldest first: the first to go when room is needed.</summary>
    private readonly LinkedList<Pending> _beforeHello = new();

    /// <summary>Handshakes whose hello is in, waiting for the proof.</summary>
    private readonly LinkedList<Pending> _afterHello = new();
    private readonly List<Socket> _ready = [];
    private readonly RejectionLog _rejections;

    /// <summary>
    /// <see cref="MaxPending"/>, or fewer after the process ran out of descriptors with that many under
    /// way: then each newcomer takes the place of an old one before it needs a descriptor of its own,
    /// instead of failing an accept first. Back to <see cref="MaxPending"/> once none is under way.
    /// </summary>
    private int _capacity = MaxPending;
    private long _acceptPausedUntil;
    private TimeSpan _acceptPause = TimeSpan.Zero;
    private long _nextAcceptWarning;

    /// <param name="install">Takes an accepted (and, with a secret, authenticated) connection as the link; runs on the acceptor's thread.</param>
    public Acceptor(Socket[] listeners, AddressFilter allow, LinkAuthenticator? auth, TunnelStats stats, Action<Socket> install)
    {
        _listeners = listeners;
        _allow = allow;
        _auth = auth;
        _stats = stats;
        _install = install;
        _rejections = new RejectionLog(auth?.Timeout ?? TimeSpan.Zero);
        foreach (var listener in listeners)
        {
            // An accept that finds the connection gone returns at once instead of waiting for the next one.
            listener.Blocking = false;
            if (auth is not null && OperatingSystem.IsLinux())
            {
                // The connect side sends its hello with its connection, so Linux may keep a connection that
                // says nothing in its SYN queue, without a descriptor, for the handshake timeout (rounded up to
                // its SYN-ACK retransmit steps: 1, 3, 7 s...). The peer's connection comes up with its hello.
                int seconds = (int)Math.Ceiling(auth.Timeout.TotalSeconds);
                listener.SetRawSocketOption(LinuxSocketCalls.IPPROTO_TCP, LinuxSocketCalls.TCP_DEFER_ACCEPT, BitConverter.GetBytes(seconds));
            }
        }
    }

    /// <summary>Runs on a thread of its own until <paramref name="cancellationToken"/> fires.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.Factory.StartNew(
        () => Run(cancellationToken),
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

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
            foreach (var pending in _beforeHello.Concat(_afterHello))
            {
                pending.Socket.Dispose();
            }
        }
    }

    /// <summary>One round: expire what is overdue, wait for the listeners and the handshakes, serve what is ready.</summary>
    private void WaitAndServe(CancellationToken cancellationToken)
    {
        long now = Stopwatch.GetTimestamp();
        ExpireOverdue(now);
        _rejections.SummarizeIfDue(now);
        bool accepting = now >= _acceptPausedUntil;
        _ready.Clear();
        if (accepting)
        {
            _ready.AddRange(_listeners);
        }

        AddSockets(_beforeHello);
        AddSockets(_afterHello);
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
            else if (_pending.TryGetValue(socket, out var pending))   // not closed to make room meanwhile
            {
                Advance(pending, readable: true);
            }
        }
    }

    private void AddSockets(LinkedList<Pending> handshakes)
    {
        foreach (var pending in handshakes)
        {
            _ready.Add(pending.Socket);
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
        bool madeRoom = outOfResources && EvictOne();
        if (madeRoom)
        {
            _capacity = Math.Max(1, _pending.Count);
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
            string what = madeRoom ? $"closing the oldest unauthenticated connections to make room ({_capacity} handshakes at most until the flood is over)"
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

        if (_auth is null)
        {
            InstallLink(socket);
            return;
        }

        socket.Blocking = false;   // a read finds what is there and returns, even when poll said more than there is
        if (_pending.Count >= _capacity)
        {
            EvictOne();
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(_auth.Timeout.TotalSeconds * Stopwatch.Frequency);
        var pending = new Pending(socket, new Handshake(_auth, TcpRole.Listen), deadline, remote?.ToString() ?? "?");
        pending.Node = _beforeHello.AddLast(pending);
        _pending.Add(socket, pending);
        Advance(pending, readable: false);   // the connect side sends its hello with its connection: often it is in already
    }

    /// <summary>Reads what the handshake still lacks, answers, and ends it when it is decided.</summary>
    private void Advance(Pending pending, bool readable)
    {
        var handshake = pending.Handshake;
        int received = pending.Socket.Receive(handshake.Incoming, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            if (readable)
            {
                // Readable but nothing to read: urgent data, which no peer of ours sends.
                handshake.Fail(HandshakeOutcome.NotAHello);
                Finish(pending);
            }

            return;
        }

        if (error != SocketError.Success || received == 0)
        {
            handshake.Fail(HandshakeOutcome.Closed);
            Finish(pending);
            return;
        }

        bool hadHello = handshake.HelloReceived;
        handshake.Received(received);
        var outgoing = handshake.TakeOutgoing();
        // At most a hello and a proof on a fresh connection: the socket's send buffer always has room.
        if (!outgoing.IsEmpty && pending.Socket.Send(outgoing, SocketFlags.None, out error) != outgoing.Length)
        {
            handshake.Fail(HandshakeOutcome.Closed);
        }

        if (handshake.Outcome is not null)
        {
            Finish(pending);
        }
        else if (!hadHello && handshake.HelloReceived)
        {
            _beforeHello.Remove(pending.Node!);
            pending.Node = _afterHello.AddLast(pending);
        }
    }

    /// <summary>Closes the least advanced handshake, oldest first; false when there is none.</summary>
    private bool EvictOne()
    {
        var victim = (_beforeHello.First ?? _afterHello.First)?.Value;
        if (victim is null)
        {
            return false;
        }

        Remove(victim);
        victim.Socket.Dispose();
        Interlocked.Increment(ref _stats.HandshakesUnfinished);
        _rejections.Add(victim.Peer, Rejection.CrowdedOut, Stopwatch.GetTimestamp());
        return true;
    }

    private void ExpireOverdue(long now)
    {
        while (_beforeHello.First is { } oldest && oldest.Value.Deadline <= now)
        {
            oldest.Value.Handshake.Fail(HandshakeOutcome.TimedOut);
            Finish(oldest.Value);
        }

        for (var node = _afterHello.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Deadline <= now)
            {
                node.Value.Handshake.Fail(HandshakeOutcome.TimedOut);
                Finish(node.Value);
            }

            node = next;
        }
    }

    private void Finish(Pending pending)
    {
        Remove(pending);
        var outcome = pending.Handshake.Outcome!.Value;
        if (outcome == HandshakeOutcome.Authenticated)
        {
            InstallLink(pending.Socket);
            return;
        }

        pending.Socket.Dispose();
        if (outcome is HandshakeOutcome.NotAHello or HandshakeOutcome.ProofMismatch)
        {
            Interlocked.Increment(ref _stats.AuthFailures);
        }
        else
        {
            Interlocked.Increment(ref _stats.HandshakesUnfinished);
        }

        _rejections.Add(pending.Peer, outcome switch
        {
            HandshakeOutcome.NotAHello => Rejection.NotAHello,
            HandshakeOutcome.ProofMismatch => Rejection.ProofMismatch,
            HandshakeOutcome.TimedOut => Rejection.TimedOut,
            _ => Rejection.Closed,
        }, Stopwatch.GetTimestamp());
    }

    private void Remove(Pending pending)
    {
        pending.Node!.List!.Remove(pending.Node);
        _pending.Remove(pending.Socket);
        if (_pending.Count == 0)
        {
            _capacity = MaxPending;
        }
    }

    private void InstallLink(Socket socket)
    {
        socket.Blocking = true;   // as a new socket is; the link's loops do not depend on it
        _install(socket);
    }

    /// <summary>Until the next deadline, the end of an accept pause or a summary line falls due, at most <see cref="MaxWaitMilliseconds"/>.</summary>
    private int WaitMilliseconds(long now, bool accepting)
    {
        long until = now + (MaxWaitMilliseconds * Stopwatch.Frequency / 1000);
        if (_beforeHello.First is { } first)
        {
            until = Math.Min(until, first.Value.Deadline);
        }

        foreach (var pending in _afterHello)
        {
            until = Math.Min(until, pending.Deadline);
        }

        if (!accepting)
        {
            until = Math.Min(until, _acceptPausedUntil);
        }

        until = Math.Min(until, _rejections.SummaryDue);
        // Rounded up, so a deadline is past when the poll returns.
        return (int)Math.Max(0, ((until - now) * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }

    private sealed class Pending(Socket socket, Handshake handshake, long deadline, string peer)
    {
        public Socket Socket { get; } = socket;

        public Handshake Handshake { get; } = handshake;

        public long Deadline { get; } = deadline;

        public string Peer { get; } = peer;

        public LinkedListNode<Pending>? Node { get; set; }
    }
}
