using System.Buffers;
using System.Diagnostics;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// Bounds one queue of a link (a lane of its UDP → TCP direction) by time. The output pipe holds frames as
/// bytes and knows nothing of their age; this ledger beside it records when each flushed stretch of the
/// pipe was queued, and the send loop, just before it hands bytes to the kernel, asks the
/// <see cref="DropSchedule"/> whether the frame at the head has waited too long (dropped ones are counted
/// "stale"), as a router's AQM drops at the head of its queue: gently while the queue stands through a
/// dip of the link, at once in an overload, not at all while it drains (<see cref="LaneRates"/> tells
/// which). With TCP_NOTSENT_LOWAT keeping the kernel's unsent share small (see <see cref="TcpNotSentLowWater"/>), unsent datagrams wait here,
/// where their age is known. The pipe's byte bound stays, for memory.
/// One producer (the UDP receive loop, at each flush) and one consumer (the link's send loop, on
/// whichever thread runs it, never two at once): lock-free, nothing allocated after construction.
/// </summary>
public sealed class TimeBoundedQueue
{
    /// <summary>
    /// Stretches remembered at once (a power of two; 8 KiB per link). A flush per receive batch, and the
    /// queue holds only the limit's worth of them; when it is full, the newest stretch grows instead,
    /// so its later bytes count as older than they are: dropped early rather than sent late.
    /// </summary>
    private const int Capacity = 512;
    private const int Mask = Capacity - 1;

    private readonly Stretch[] _stretches = new Stretch[Capacity];
    private readonly FrameBoundaries _frames;
    private readonly TunnelStats _stats;
    private readonly Func<long>? _clock;
    private readonly DropSchedule _schedule;

    /// <summary>Tells a draining queue, a dip of the link and an overload apart: the lane's <see cref="LaneRates"/>, or the tests' own.</summary>
    private readonly Func<long, long, long, DropSchedule.Load> _judge;
    private readonly LaneRates? _rates;

    /// <summary>Consumer: bytes that went to the kernel.</summary>
    private long _sent;

    /// <summary>Producer: the stream offset just past the last flushed byte.</summary>
    private long _flushedEnd;

    /// <summary>Index of the next stretch to write (the producer's) and of the oldest one kept (the consumer's).</summary>
    private long _tail;
    private long _head;

    /// <summary>Consumer: the stream offset of the next byte to go to the kernel (or to be dropped).</summary>
    private long _position;

    /// <param name="clock">Stopwatch ticks from a clock the tests move; null: <see cref="Stopwatch.GetTimestamp"/> (TimeProvider would do, at 24 KB of binary).</param>
    /// <param name="judge">The load at (now, bytes arrived, bytes sent), for tests; null: the lane's <see cref="LaneRates"/>.</param>
    public TimeBoundedQueue(FrameCodec codec, TimeSpan limit, TunnelStats stats, Func<long>? clock = null, Func<long, long, long, DropSchedule.Load>? judge = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        _frames = new FrameBoundaries(codec);
        _stats = stats;
        _clock = clock;
        _schedule = new DropSchedule((long)(limit.TotalSeconds * Stopwatch.Frequency), Stopwatch.Frequency);
        if (judge is null)
        {
            _rates = new LaneRates(Stopwatch.Frequency);
            judge = _rates.Judge;
        }

        _judge = judge;
    }

    private long Now() => _clock is null ? Stopwatch.GetTimestamp() : _clock();

    private struct Stretch
    {
        public long End;
        public long QueuedAt;
    }

    /// <summary>Producer: <paramref name="bytes"/> more (whole frames) are about to be flushed into the pipe, queued now.</summary>
    public void Record(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        long flushedEnd = _flushedEnd + bytes;
        Volatile.Write(ref _flushedEnd, flushedEnd);   // the consumer reads it for the arrival rate
        long tail = _tail;
        if (tail - Volatile.Read(ref _head) >= Capacity)
        {
            Volatile.Write(ref _stretches[(tail - 1) & Mask].End, flushedEnd);
            return;
        }

        ref var stretch = ref _stretches[tail & Mask];
        stretch.QueuedAt = Now();
        stretch.End = flushedEnd;
        Volatile.Write(ref _tail, tail + 1);   // publishes the stretch before the flush publishes its bytes
    }

    /// <summary>Consumer: the link's minimum round trip, from the kernel: a long path gets a longer gentle interval (see <see cref="DropSchedule"/>).</summary>
    public void NoteRoundTrip(TimeSpan roundTrip)
    {
        long ticks = (long)(roundTrip.TotalSeconds * Stopwatch.Frequency);
        _schedule.NoteRoundTrip(ticks);
        _rates?.NoteRoundTrip(ticks);
    }

    /// <summary>
    /// Consumer, at a frame boundary: drops the frames at the head of <paramref name="unsent"/> (the
    /// pipe's unsent bytes from the current position on) that the schedule says must go, and returns what
    /// is left. Notes the age of what will be sent next for the statistics line.
    /// </summary>
    public ReadOnlySequence<byte> DropStale(ReadOnlySequence<byte> unsent)
    {
        long now = Now();
        var load = _judge(now, Volatile.Read(ref _flushedEnd), _sent);
        long start = _position;
        long end = start + unsent.Length;
        long age = 0;
        while (_position < end && TryHead(out var head))
        {
            age = now - head.QueuedAt;
            var verdict = _schedule.Decide(now, head.QueuedAt, load);
            if (verdict == DropSchedule.Verdict.Keep)
            {
                break;
            }

            // A stretch ends where a flush ended, so on a frame boundary; so does what was read.
            _position = verdict == DropSchedule.Verdict.DropStretch
                ? Math.Min(head.End, end)
                : _position + _frames.After(unsent.Slice(_position - start), 0);
            age = 0;
        }

        _stats.NoteQueueDelay(age);
        if (_position == start)
        {
            return unsent;
        }

        long dropped = _position - start;
        Interlocked.Add(ref _stats.DroppedStale, _frames.Count(unsent.Slice(0, dropped)));
        return unsent.Slice(dropped);
    }

    /// <summary>Consumer: <paramref name="bytes"/> went to the kernel.</summary>
    public void Sent(long bytes)
    {
        _position += bytes;
        _sent += bytes;
    }

    /// <summary>The first stretch that still has unsent bytes; older ones are forgotten.</summary>
    private bool TryHead(out Stretch head)
    {
        while (_head != Volatile.Read(ref _tail))
        {
            ref var stretch = ref _stretches[_head & Mask];
            head.End = Volatile.Read(ref stretch.End);
            head.QueuedAt = stretch.QueuedAt;
            if (head.End > _position)
            {
                return true;
            }

            Volatile.Write(ref _head, _head + 1);
        }

        head = default;
        return false;
    }
}
