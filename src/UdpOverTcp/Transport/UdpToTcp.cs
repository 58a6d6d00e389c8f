using System.IO.Pipelines;
using UdpOverTcp.Framing;

namespace UdpOverTcp.Transport;

/// <summary>
/// UDP → TCP: admits each datagram from the app (not too large to frame, from the peer under
/// --udp-peer-only), encodes it as a frame into the current link's output pipe, and flushes once per
/// batch, which hands the lot to the link's send loop as one TCP send. A flush that does not complete
/// at once means the link's send side is more than the pipe's pause threshold behind; until it
/// completes, datagrams are dropped rather than queued. It runs only on the pump's receive loop
/// (the batched pump's thread is named <see cref="ThreadName"/>), so it needs no locks.
/// </summary>
internal sealed class UdpToTcp(FrameCodec codec, TunnelStats stats, PumpCounts? counts = null)
{
    /// <summary>The batched pump's receive thread, which also runs the link's TCP send inline (see ThreadedLinkLoops).</summary>
    public const string ThreadName = "udp->tcp";

    public enum Outcome
    {
        Written,
        NoLink,
        Behind,
    }

    private TcpLink? _link;
    private ValueTask<FlushResult> _flush;
    private bool _flushPending;
    private bool _unflushed;

    /// <summary>
    /// Pipe memory of the current link that frames are being written into, and how much of it they fill.
    /// Advanced once, at the flush or when the next frame does not fit: Pipe.Advance takes the pipe's
    /// lock, which per datagram was 3.5 % of the tunnel's CPU time at 64 B.
    /// </summary>
    private Memory<byte> _frames;
    private int _framesLength;

    /// <summary>
    /// False when a datagram from the app must not go on (too large to frame, or from a stranger
    /// under --udp-peer-only), which is counted; the datagram itself is counted with <see cref="CountReceived"/>.
    /// </summary>
    public bool Admit(int length, bool fromPeer)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"udp->tcp datagram of {length} bytes{(fromPeer ? "" : " from a stranger")}");
        }

        if (!fromPeer)
        {
            Interlocked.Increment(ref stats.DroppedNotPeer);
            return false;
        }

        if (length > codec.MaxFrame)
        {
            Interlocked.Increment(ref stats.DroppedTooLarge);
            return false;
        }

        return true;
    }

    /// <summary>Counts datagrams from the app: two atomic adds per batch, not per datagram.</summary>
    public void CountReceived(int datagrams, long bytes)
    {
        Interlocked.Add(ref stats.UdpReceived, datagrams);
        Interlocked.Add(ref stats.UdpReceivedBytes, bytes);
        counts?.AddFromApp(datagrams);
    }

    /// <summary>
    /// Pipe memory of at least <paramref name="size"/> bytes on <paramref name="current"/> when the pump
    /// already writes to that link and nothing holds it back, so the next datagram can be received
    /// in place; empty otherwise (receive into scratch memory).
    /// </summary>
    public Memory<byte> TryGetMemory(TcpLink? current, int size)
    {
        Settle();
        if (_flushPending || current is null || current.IsClosed || !ReferenceEquals(current, _link))
        {
            return Memory<byte>.Empty;
        }

        Commit();
        return _link.Output.GetMemory(size);
    }

    /// <summary>
    /// Frames <paramref name="datagram"/> onto <paramref name="current"/>, the link that is live now,
    /// without flushing (a batch is flushed once, see <see cref="Flush"/>). If the datagram was received
    /// in place (<paramref name="pipeMemory"/> is the memory from <see cref="TryGetMemory"/>) on that same
    /// link, only the header is written. If the link changed while the datagram was being received,
    /// it is copied to the new link and the old one is retired.
    /// </summary>
    public Outcome Append(TcpLink? current, Memory<byte> pipeMemory, ReadOnlySpan<byte> datagram)
    {
        var outcome = Frame(current, pipeMemory, datagram);
        switch (outcome)
        {
            case Outcome.NoLink:
                Interlocked.Increment(ref stats.DroppedNoLink);
                TraceDrop("no link");
                break;
            case Outcome.Behind:
                Interlocked.Increment(ref stats.DroppedBackpressure);
                TraceDrop("tcp behind");
                break;
        }

        return outcome;
    }

    private Outcome Frame(TcpLink? current, Memory<byte> pipeMemory, ReadOnlySpan<byte> datagram)
    {
        Settle();
        if (current is null || current.IsClosed)
        {
            return Outcome.NoLink;
        }

        if (ReferenceEquals(current, _link))
        {
            if (_flushPending)
            {
                return Outcome.Behind;
            }

            if (pipeMemory.IsEmpty)
            {
                AppendFrame(current, datagram);
            }
            else
            {
                codec.WriteHeader(pipeMemory.Span, datagram.Length);
                current.Output.Advance(codec.HeaderSize + datagram.Length);
            }
        }
        else
        {
            // Copy first: the datagram may sit in the old link's pipe memory, which completing returns to the pool.
            // Frames not yet advanced on the old link are dropped with it: it is dead or replaced.
            codec.WriteFrame(current.Output, datagram);
            Retire();
            _link = current;
        }

        _unflushed = true;
        return Outcome.Written;
    }

    /// <summary>Hands everything appended since the last flush to the link's send loop: one TCP send for the lot.</summary>
    public void Flush()
    {
        if (_unflushed && _link is not null)
        {
            Commit();
            _unflushed = false;
            _flush = _link.FlushOutputAsync();
            _flushPending = true;
            Settle();
        }
    }

    /// <summary>Stops writing to the current link; called when the pump stops.</summary>
    public void Complete()
    {
        Retire();
        _link = null;
    }

    private void Retire()
    {
        // A flush still pending belongs to a dead link whose pipe is abandoned with it; completing the
        // writer under it is not allowed, and not needed: nothing reads that pipe any more.
        if (!_flushPending)
        {
            _link?.Output.Complete();
        }

        _flushPending = false;
        _unflushed = false;
        _flush = default;
        _frames = default;
        _framesLength = 0;
    }

    /// <summary>Writes one frame behind the ones already in <see cref="_frames"/>, taking new pipe memory when it is full.</summary>
    private void AppendFrame(TcpLink link, ReadOnlySpan<byte> datagram)
    {
        int size = codec.HeaderSize + datagram.Length;
        if (_frames.Length - _framesLength < size)
        {
            Commit();
            _frames = link.Output.GetMemory(size);
        }

        var destination = _frames.Span[_framesLength..];
        codec.WriteHeader(destination, datagram.Length);
        datagram.CopyTo(destination[codec.HeaderSize..]);
        _framesLength += size;
    }

    /// <summary>Advances the link's pipe over the frames written into <see cref="_frames"/>.</summary>
    private void Commit()
    {
        if (_framesLength > 0)
        {
            _link!.Output.Advance(_framesLength);
        }

        _frames = default;
        _framesLength = 0;
    }

    private void Settle()
    {
        if (_flushPending && _flush.IsCompleted)
        {
            _flushPending = false;
            if (_flush.GetAwaiter().GetResult().IsCompleted)
            {
                // The link's send loop has stopped reading: the link is dead.
                _link!.Abort("send side closed");
            }
        }
    }

    private static void TraceDrop(string why)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"udp->tcp datagram dropped: {why}");
        }
    }
}
