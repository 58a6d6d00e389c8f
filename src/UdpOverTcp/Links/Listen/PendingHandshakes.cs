using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// The listen side's handshakes under way (with --secret-file), driven by the <see cref="Acceptor"/>'s
/// thread: each reads what it lacks without waiting, answers, and ends authenticated (the connection
/// becomes the link), failed, or overdue. Admission against strangers who connect and say nothing or
/// trickle bytes: at most <see cref="Capacity"/> at once; when all places are taken the newcomer is
/// admitted and the least advanced one is closed instead (one with no complete hello yet, oldest first),
/// so the newest comer, which may be the peer with the secret, always gets its chance, and a peer whose
/// hello is in is never pushed out by connections that are not that far.
/// With --http-upgrade, each connection first asks for the HTTP Upgrade (<see cref="UpgradeRequest"/>), under
/// the same deadline and admission, and counts as one without a hello until then; then the secret's
/// handshake, if any, runs on top.
/// </summary>
/// <param name="auth">The secret's handshake; null for the HTTP Upgrade alone.</param>
/// <param name="upgradePath">--http-upgrade's path; null for the secret's handshake alone.</param>
/// <param name="timeout">The time a connection has from its accept to being the link.</param>
public sealed class PendingHandshakes(LinkAuthenticator? auth, string? upgradePath, TimeSpan timeout, TunnelStats stats, RejectionLog rejections, Action<Socket> installLink)
{
    /// <summary>Handshakes under way at once: bounds the descriptors and memory strangers can hold.</summary>
    public const int MaxPending = 256;

    private readonly Dictionary<Socket, Pending> _pending = [];

    /// <summary>Handshakes still waiting for the peer's hello, oldest first: the first to go when room is needed.</summary>
    private readonly LinkedList<Pending> _beforeHello = new();

    /// <summary>Handshakes whose hello is in, waiting for the proof.</summary>
    private readonly LinkedList<Pending> _afterHello = new();

    public int Count => _pending.Count;

    /// <summary>
    /// <see cref="MaxPending"/>, or fewer after the process ran out of descriptors with that many under
    /// way (<see cref="ShrinkToCount"/>): then each newcomer takes the place of an old one before it needs
    /// a descriptor of its own, instead of failing an accept first. Back to <see cref="MaxPending"/> once
    /// none is under way.
    /// </summary>
    public int Capacity { get; private set; } = MaxPending;

    public void ShrinkToCount() => Capacity = Math.Max(1, _pending.Count);

    /// <summary>Starts the handshake of an accepted connection; the connect side's hello is often in already.</summary>
    public void Add(Socket socket, IPEndPoint? remote)
    {
        socket.Blocking = false;   // a read finds what is there and returns, even when poll said more than there is
        if (_pending.Count >= Capacity)
        {
            EvictOne();
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var handshake = auth is null ? null : new Handshake(auth, TcpRole.Listen);
        var pending = new Pending(socket, handshake, deadline, remote?.ToString() ?? "?") { Upgrade = upgradePath is null ? null : new HttpHead() };
        pending.Node = _beforeHello.AddLast(pending);
        _pending.Add(socket, pending);
        Advance(pending, readable: false);
    }

    /// <summary>Goes on with the handshake on <paramref name="socket"/>, which poll found readable; false when it is not one (closed to make room meanwhile).</summary>
    public bool TryAdvance(Socket socket)
    {
        if (!_pending.TryGetValue(socket, out var pending))
        {
            return false;
        }

        Advance(pending, readable: true);
        return true;
    }

    /// <summary>The sockets to poll for reading.</summary>
    public void AddSocketsTo(List<Socket> ready)
    {
        foreach (var pending in _beforeHello)
        {
            ready.Add(pending.Socket);
        }

        foreach (var pending in _afterHello)
        {
            ready.Add(pending.Socket);
        }
    }

    /// <summary>The earliest deadline of a handshake, or <paramref name="until"/> if that is sooner.</summary>
    public long NextDeadline(long until)
    {
        if (_beforeHello.First is { } first)
        {
            until = Math.Min(until, first.Value.Deadline);
        }

        foreach (var pending in _afterHello)
        {
            until = Math.Min(until, pending.Deadline);
        }

        return until;
    }

    /// <summary>Closes every handshake still under way (the acceptor stops).</summary>
    public void CloseAll()
    {
        foreach (var pending in _beforeHello)
        {
            pending.Socket.Dispose();
        }

        foreach (var pending in _afterHello)
        {
            pending.Socket.Dispose();
        }
    }

    /// <summary>Reads what the handshake still lacks, answers, and ends it when it is decided.</summary>
    private void Advance(Pending pending, bool readable)
    {
        if (pending.Upgrade is { } head)
        {
            if (!AdvanceUpgrade(pending, head, readable))
            {
                return;
            }

            pending.Upgrade = null;
            readable = false;   // the hello may be in already, or not yet
        }

        if (pending.Handshake is not { } handshake)
        {
            Install(pending);
            return;
        }

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

    /// <summary>Goes on with the Upgrade request (see <see cref="UpgradeListener"/>); true once it is answered with 101.</summary>
    private bool AdvanceUpgrade(Pending pending, HttpHead head, bool readable)
    {
        var step = UpgradeListener.Advance(pending.Socket, head, upgradePath!, readable);
        if (step is UpgradeStep.Refused or UpgradeStep.Closed)
        {
            Reject(pending, step == UpgradeStep.Refused ? Rejection.NotAnUpgrade : Rejection.Closed);
        }

        return step == UpgradeStep.Upgraded;
    }

    /// <summary>Closes the least advanced handshake, oldest first; false when there is none.</summary>
    public bool EvictOne()
    {
        var victim = (_beforeHello.First ?? _afterHello.First)?.Value;
        if (victim is null)
        {
            return false;
        }

        Remove(victim);
        victim.Socket.Dispose();
        Interlocked.Increment(ref stats.HandshakesUnfinished);
        rejections.Add(victim.Peer, Rejection.CrowdedOut, Stopwatch.GetTimestamp());
        return true;
    }

    public void ExpireOverdue(long now)
    {
        while (_beforeHello.First is { } oldest && oldest.Value.Deadline <= now)
        {
            TimeOut(oldest.Value);
        }

        for (var node = _afterHello.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Deadline <= now)
            {
                TimeOut(node.Value);
            }

            node = next;
        }
    }

    /// <summary>The connection becomes the link.</summary>
    private void Install(Pending pending)
    {
        Remove(pending);
        pending.Socket.Blocking = true;   // as a new socket is; the link's loops do not depend on it
        installLink(pending.Socket);
    }

    /// <summary>Ends a connection that is not the HTTP Upgrade asked for, or went away during it.</summary>
    private void Reject(Pending pending, Rejection why)
    {
        Remove(pending);
        pending.Socket.Dispose();
        Interlocked.Increment(ref stats.HandshakesUnfinished);
        rejections.Add(pending.Peer, why, Stopwatch.GetTimestamp());
    }

    private void Finish(Pending pending)
    {
        var outcome = pending.Handshake!.Outcome!.Value;
        if (outcome == HandshakeOutcome.Authenticated)
        {
            Install(pending);
            return;
        }

        Remove(pending);
        pending.Socket.Dispose();
        if (outcome is HandshakeOutcome.NotAHello or HandshakeOutcome.ProofMismatch)
        {
            Interlocked.Increment(ref stats.AuthFailures);
        }
        else
        {
            Interlocked.Increment(ref stats.HandshakesUnfinished);
        }

        rejections.Add(pending.Peer, outcome switch
        {
            HandshakeOutcome.NotAHello => Rejection.NotAHello,
            HandshakeOutcome.ProofMismatch => Rejection.ProofMismatch,
            HandshakeOutcome.TimedOut => Rejection.TimedOut,
            _ => Rejection.Closed,
        }, Stopwatch.GetTimestamp());
    }

    private void TimeOut(Pending pending)
    {
        if (pending.Upgrade is not null || pending.Handshake is null)
        {
            Reject(pending, Rejection.TimedOut);
            return;
        }

        pending.Handshake.Fail(HandshakeOutcome.TimedOut);
        Finish(pending);
    }

    private void Remove(Pending pending)
    {
        pending.Node!.List!.Remove(pending.Node);
        _pending.Remove(pending.Socket);
        if (_pending.Count == 0)
        {
            Capacity = MaxPending;
        }
    }

    private sealed class Pending(Socket socket, Handshake? handshake, long deadline, string peer)
    {
        public Socket Socket { get; } = socket;

        /// <summary>The secret's handshake; null without --secret-file.</summary>
        public Handshake? Handshake { get; } = handshake;

        /// <summary>The Upgrade request as far as it came; null without --http-upgrade, or once answered with 101.</summary>
        public HttpHead? Upgrade { get; set; }

        public long Deadline { get; } = deadline;

        public string Peer { get; } = peer;

        public LinkedListNode<Pending>? Node { get; set; }
    }
}
