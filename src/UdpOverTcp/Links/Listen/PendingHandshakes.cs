using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// The listen side's set-up steps under way (<see cref="ListenSteps"/>: TLS, the HTTP Upgrade, the secret's
/// handshake), driven by the <see cref="Acceptor"/>'s thread: each connection reads what it lacks without
/// waiting, answers, and ends as the link, refused, or overdue. Admission against strangers who connect
/// and say nothing or trickle bytes: at most <see cref="Capacity"/> at once; when all places are taken the
/// newcomer is admitted and the least advanced one is closed instead (one with no complete hello yet,
/// oldest first), so the newest comer, which may be the peer with the secret, always gets its chance, and
/// a peer whose hello is in is never pushed out by connections that are not that far. A connection counts
/// as one without a hello until its TLS handshake and its Upgrade are done, all under one deadline.
/// </summary>
/// <param name="installLink">Takes a connection that passed every step as the link, with its TLS (null without --tls-cert).</param>
public sealed class PendingHandshakes(ListenSteps steps, TunnelStats stats, RejectionLog rejections, Action<Socket, TlsLinkCodec?> installLink)
{
    /// <summary>Handshakes under way at once: bounds the descriptors and memory strangers can hold.</summary>
    public const int MaxPending = 256;

    private readonly Dictionary<Socket, Pending> _pending = [];

    /// <summary>TLS's ciphertext in and out, for every connection in turn: one thread uses it.</summary>
    private readonly byte[] _tlsScratch = steps.Tls is null ? [] : new byte[TlsSession.MaxCiphertextLength(TlsSession.MaxRecordPlaintext)];

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

        PendingTls? tls = null;
        if (steps.Tls is { } context)
        {
            try
            {
                tls = new PendingTls(socket, context.NewSession(), _tlsScratch);
            }
            catch (TlsException e)
            {
                Log.Warn($"connection from {remote} closed: {e.Message}");   // out of memory: nothing the peer did
                socket.Dispose();
                return;
            }
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(steps.Timeout.TotalSeconds * Stopwatch.Frequency);
        var handshake = steps.Auth is null ? null : new Handshake(steps.Auth, TcpRole.Listen);
        var pending = new Pending(socket, tls, handshake, deadline, remote?.ToString() ?? "?") { Upgrade = steps.UpgradePath is null ? null : new HttpHead() };
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
            pending.Close();
        }

        foreach (var pending in _afterHello)
        {
            pending.Close();
        }
    }

    /// <summary>Reads what the connection's steps still lack, answers, and ends them when they are decided.</summary>
    private void Advance(Pending pending, bool readable)
    {
        if (pending.Tls is not { } tls)
        {
            AdvanceSteps(pending, readable);
            return;
        }

        var pumped = tls.Pump(readable);
        if (pumped != TlsPumpResult.Open)
        {
            Reject(pending, pumped == TlsPumpResult.Failed ? Rejection.TlsFailed : Rejection.Closed, tls.Failure);
            return;
        }

        if (!tls.IsHandshakeDone)
        {
            return;
        }

        // The plaintext waits in the session now, not in the socket, so poll would not tell of it: go on
        // while the steps take some (each step reads at most what it lacks), with nothing more from the socket.
        long taken;
        do
        {
            taken = tls.Taken;
            AdvanceSteps(pending, readable: false);
        }
        while (_pending.ContainsKey(pending.Socket) && tls.Taken != taken && tls.HasPlaintext);
    }

    /// <summary>The Upgrade, then the secret's handshake, as far as the bytes there allow; then the link.</summary>
    private void AdvanceSteps(Pending pending, bool readable)
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

        int received = pending.Channel.Receive(handshake.Incoming, SocketFlags.None, out var error);
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
        if (!outgoing.IsEmpty && !pending.Channel.Send(outgoing))
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
        var step = UpgradeListener.Advance(pending.Channel, head, steps.UpgradePath!, readable);
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
        victim.Close();
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
        var tls = pending.Tls is { } pendingTls ? new TlsLinkCodec(pendingTls.HandOver(), pendingTls.Leftover) : null;
        installLink(pending.Socket, tls);
    }

    /// <summary>Ends a connection whose TLS or HTTP Upgrade failed or was not what is asked for, or that went away during it.</summary>
    private void Reject(Pending pending, Rejection why, string? detail = null)
    {
        Remove(pending);
        pending.Close();
        Interlocked.Increment(ref stats.HandshakesUnfinished);
        rejections.Add(pending.Peer, why, Stopwatch.GetTimestamp(), detail);
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
        pending.Close();
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
}
