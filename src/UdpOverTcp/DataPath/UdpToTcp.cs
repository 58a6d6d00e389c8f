using System.IO.Pipelines;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Host;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath;

/// <summary>
/// UDP → TCP: admits each datagram from the app (not too large to frame, from the peer under
/// --udp-peer-only), encodes it as a frame into the current link's output pipe, and flushes once per
/// batch, which hands the lot to the link's send loop as one TCP send. A flush that does not complete
/// at once means the link's send side is more than the pipe's pause threshold behind; until it
/// completes, datagrams are dropped rather than queued. It runs only on the pump's receive loop
/// (the batched pump's <see cref="TunnelThreads.UdpToTcp"/> thread), so it needs no locks.
/// </summary>
public sealed class UdpToTcp(FrameCodec codec, TunnelStats stats, PumpCounts? counts = null)
{
    public enum Outcome
    {
        Written,
        NoLink,
        Behind,
    }

    private TcpLink? _link;

    /// <summary>The current link's lanes as this pump writes them: bulk, and small datagrams (unused when the link has one lane).</summary>
    private LaneWriter _bulk;
    private LaneWriter _priority;

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
        if (_bulk.FlushPending || current is null || current.IsClosed || !ReferenceEquals(current, _link))
        {
            return Memory<byte>.Empty;
        }

        _bulk.Commit();
        return _link.Bulk.Writer.GetMemory(size);
    }

    /// <summary>
    /// Frames <paramref name="datagram"/> onto <paramref name="current"/>, the link that is live now,
    /// without flushing (a batch is flushed once, see <see cref="Flush"/>), in its lane (small ones in the
    /// priority lane, when the link has one). If the datagram was received in place
    /// (<paramref name="pipeMemory"/> is the memory from <see cref="TryGetMemory"/>, in the bulk lane) on that
    /// same link and goes in the bulk lane, only the header is written. If the link changed while the datagram was being received,
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

        bool small = current.LaneFor(datagram.Length) != current.Bulk;
        if (!ReferenceEquals(current, _link))
        {
            // Copy first: the datagram may sit in the old link's pipe memory, which completing returns to the pool.
            // Frames not yet advanced on the old link are dropped with it: it is dead or replaced.
            codec.WriteFrame(current.LaneFor(datagram.Length).Writer, datagram);
            Retire();
            _link = current;
            _bulk = new LaneWriter(current.Bulk);
            _priority = current.Priority is null ? default : new LaneWriter(current.Priority);
            (small ? ref _priority : ref _bulk).Unflushed = true;
            return Outcome.Written;
        }

        ref var lane = ref small ? ref _priority : ref _bulk;
        if (lane.FlushPending)
        {
            return Outcome.Behind;
        }

        if (!pipeMemory.IsEmpty && !small)
        {
            codec.WriteHeader(pipeMemory.Span, datagram.Length);
            current.Bulk.Writer.Advance(codec.HeaderSize + datagram.Length);
            lane.Unflushed = true;
        }
        else
        {
            lane.Append(codec, datagram);
        }

        return Outcome.Written;
    }

    /// <summary>
    /// Hands everything appended since the last flush to the link's send loop: one TCP send for the lot.
    /// The priority lane first, so the send loop (run inline by the bulk lane's flush) finds it; when only
    /// the priority lane had something, the send loop is woken for it.
    /// Runs on: the pump's receive loop. The TCP send runs inline in this call (the lanes' pipes use
    /// PipeScheduler.Inline): the link's send loop, woken by the flush, sends on this thread until the
    /// socket is full (threaded loops) or a send has to wait (engine loops).
    /// </summary>
    public void Flush()
    {
        if (_link is null)
        {
            return;
        }

        bool priority = _priority.Flush();
        if (!_bulk.Flush() && priority)
        {
            _link.WakeSendLoop();
        }

        Settle();
    }

    /// <summary>Stops writing to the current link; called when the pump stops.</summary>
    public void Complete()
    {
        Retire();
        _link = null;
    }

    private void Retire()
    {
        _bulk.Retire();
        _priority.Retire();
        _bulk = default;
        _priority = default;
    }

    private void Settle()
    {
        if (!_bulk.Settle() || !_priority.Settle())
        {
            // The link's send loop has stopped reading: the link is dead.
            _link!.Abort(LinkEnd.Failed("send side closed"));
        }
    }

    private static void TraceDrop(string why)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"udp->tcp datagram dropped: {why}");
        }
    }

    /// <summary>
    /// The pump's side of one lane of the current link: pipe memory that frames are being written into and
    /// how much of it they fill (advanced once, at the flush or when the next frame does not fit:
    /// Pipe.Advance takes the pipe's lock, see docs/performance.md), and the flush under way. A flush that
    /// does not complete at once means the send loop is more than the pipe's pause threshold behind; until
    /// it completes, the lane's datagrams are dropped.
    /// </summary>
    private struct LaneWriter(OutputLane lane)
    {
        private readonly OutputLane? _lane = lane;
        private Memory<byte> _frames;
        private int _framesLength;
        private ValueTask<FlushResult> _flush;

        public bool FlushPending { get; private set; }

        /// <summary>Frames were written since the last flush.</summary>
        public bool Unflushed { get; set; }

        /// <summary>Writes one frame behind the ones already in <see cref="_frames"/>, taking new pipe memory when it is full.</summary>
        public void Append(FrameCodec codec, ReadOnlySpan<byte> datagram)
        {
            int size = codec.HeaderSize + datagram.Length;
            if (_frames.Length - _framesLength < size)
            {
                Commit();
                _frames = _lane!.Writer.GetMemory(size);
            }

            var destination = _frames.Span[_framesLength..];
            codec.WriteHeader(destination, datagram.Length);
            datagram.CopyTo(destination[codec.HeaderSize..]);
            _framesLength += size;
            Unflushed = true;
        }

        /// <summary>Advances the lane's pipe over the frames written into <see cref="_frames"/>.</summary>
        public void Commit()
        {
            if (_framesLength > 0)
            {
                _lane!.Writer.Advance(_framesLength);
            }

            _frames = default;
            _framesLength = 0;
        }

        /// <summary>Flushes what was written since the last flush; false when there was nothing.</summary>
        public bool Flush()
        {
            if (!Unflushed)
            {
                return false;
            }

            Commit();
            Unflushed = false;
            _flush = _lane!.FlushAsync();
            FlushPending = true;
            return true;
        }

        /// <summary>Notes a flush that has completed; false when it says the send loop stopped reading.</summary>
        public bool Settle()
        {
            if (!FlushPending || !_flush.IsCompleted)
            {
                return true;
            }

            FlushPending = false;
            return !_flush.GetAwaiter().GetResult().IsCompleted;
        }

        /// <summary>Stops writing to the lane: its link is dead or replaced.</summary>
        public readonly void Retire()
        {
            // A flush still pending belongs to a dead link whose pipe is abandoned with it; completing the
            // writer under it is not allowed, and not needed: nothing reads that pipe any more.
            if (!FlushPending)
            {
                _lane?.Writer.Complete();
            }
        }
    }
}
