using System.Buffers;
using System.Diagnostics;
using UdpOverTcp.Framing;

namespace UdpOverTcp.Transport;

/// <summary>
/// Bounds one link's UDP → TCP queue by time. The output pipe holds frames as bytes and knows
/// nothing of their age; this ledger beside it records when each flushed stretch of the pipe was
/// queued, and the send loop, just before it hands bytes to the kernel, drops the frames at the head
/// that have waited longer than the limit (counted as dropped "stale"), as a router's AQM drops at the
/// head of its queue. It drops only from a standing queue, one that has stayed above the limit for
/// <see cref="Interval"/> (CoDel's idea): a burst, a TCP loss recovery or a stall of this process is let
/// through whole; an overload costs loss instead of delay. With TCP_NOTSENT_LOWAT keeping the kernel's
/// unsent share small (see <see cref="TcpNotSentLowWater"/>), unsent datagrams wait here, where their
/// age is known. The pipe's byte bound stays, for memory.
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

    /// <summary>What the portable send loop hands the socket at once (see <see cref="ChunkLength"/>).</summary>
    private const int ChunkBytes = TcpNotSentLowWater.DefaultBytes;

    private readonly Stretch[] _stretches = new Stretch[Capacity];
    private readonly FrameCodec _codec;
    private readonly long _limitTicks;
    private readonly TunnelStats _stats;
    private readonly Func<long>? _clock;

    /// <summary>Producer: the stream offset just past the last flushed byte.</summary>
    private long _flushedEnd;

    /// <summary>Index of the next stretch to write (the producer's) and of the oldest one kept (the consumer's).</summary>
    private long _tail;
    private long _head;

    /// <summary>Consumer: the stream offset of the next byte to go to the kernel (or to be dropped).</summary>
    private long _position;

    /// <summary>Consumer: when the head of the queue first waited longer than the limit (0: it has not, since it last did not).</summary>
    private long _aboveSince;

    /// <summary>Consumer: the queue has stayed above the limit for an interval; it drops until its head is young again.</summary>
    private bool _standing;

    /// <summary>Consumer: when the queue last stopped standing (0: never).</summary>
    private long _standingEndedAt;

    private readonly long _intervalTicks;

    /// <summary>
    /// How long the queue must stay above the limit before it is a standing queue and its head is dropped
    /// (CoDel's "interval"). Shorter let a TCP loss recovery or a stall of this process cost datagrams on a
    /// link that was not overloaded; longer is more delay at the start of an overload (see the README).
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <param name="clock">Stopwatch ticks from a clock the tests move; null: <see cref="Stopwatch.GetTimestamp"/> (TimeProvider would do, at 24 KB of binary).</param>
    public TimeBoundedQueue(FrameCodec codec, TimeSpan limit, TunnelStats stats, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        _codec = codec;
        _stats = stats;
        _clock = clock;
        _limitTicks = (long)(limit.TotalSeconds * Stopwatch.Frequency);
        _intervalTicks = (long)(Interval.TotalSeconds * Stopwatch.Frequency);
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

        _flushedEnd += bytes;
        long tail = _tail;
        if (tail - Volatile.Read(ref _head) >= Capacity)
        {
            Volatile.Write(ref _stretches[(tail - 1) & Mask].End, _flushedEnd);
            return;
        }

        ref var stretch = ref _stretches[tail & Mask];
        stretch.QueuedAt = Now();
        stretch.End = _flushedEnd;
        Volatile.Write(ref _tail, tail + 1);   // publishes the stretch before the flush publishes its bytes
    }

    /// <summary>
    /// Consumer, at a frame boundary: drops the frames at the head of <paramref name="unsent"/> (the
    /// pipe's unsent bytes from the current position on) that have waited longer than the limit and
    /// returns what is left. Notes the age of what will be sent next for the statistics line.
    /// </summary>
    public ReadOnlySequence<byte> DropStale(ReadOnlySequence<byte> unsent)
    {
        long now = Now();
        long start = _position;
        long end = start + unsent.Length;
        long age = 0;
        while (_position < end && TryHead(out var head))
        {
            age = now - head.QueuedAt;
            if (age <= _limitTicks)
            {
                if (_standing)
                {
                    _standing = false;
                    _standingEndedAt = now;
                }

                _aboveSince = 0;
                break;
            }

            if (!_standing)
            {
                // Above the limit since the moment the head crossed it. Only a queue that stays above it for
                // an interval is standing; until then it is a burst, or a stall of this process, let through.
                // Soon after a standing queue it is the same overload coming back: no interval then (CoDel
                // keeps its drop rate across such returns for the same reason).
                if (_aboveSince == 0)
                {
                    _aboveSince = head.QueuedAt + _limitTicks;
                }

                bool returning = _standingEndedAt != 0 && now - _standingEndedAt < 16 * _intervalTicks;
                if (!returning && now - _aboveSince < _intervalTicks)
                {
                    break;
                }

                _standing = true;
            }

            // A stretch ends where a flush ended, so on a frame boundary; so does what was read.
            _position = Math.Min(head.End, end);
            age = 0;
        }

        _stats.NoteQueueDelay(age);
        if (_position == start)
        {
            return unsent;
        }

        long dropped = _position - start;
        Interlocked.Add(ref _stats.DroppedStale, CountFrames(unsent.Slice(0, dropped)));
        return unsent.Slice(dropped);
    }

    /// <summary>Consumer: <paramref name="bytes"/> went to the kernel.</summary>
    public void Sent(long bytes) => _position += bytes;

    /// <summary>
    /// Consumer: the socket took only <paramref name="sent"/> bytes of <paramref name="unsent"/>, which
    /// started on a frame boundary. Returns how many more bytes end the frame it stopped in (0 when it
    /// stopped on a boundary): those must follow before anything is dropped, or the peer would read
    /// the next frame's header inside this one's payload.
    /// </summary>
    public long ToFrameEnd(in ReadOnlySequence<byte> unsent, long sent) => FrameBoundaryAfter(unsent, sent - 1) - sent;

    /// <summary>
    /// Consumer, for a send loop whose sends cannot stop part-way (the portable one): how many bytes of
    /// whole frames at the head of <paramref name="unsent"/> to send next, about <see cref="ChunkBytes"/>
    /// (at least one frame), so that what waits behind them is looked at again before it goes.
    /// </summary>
    public long ChunkLength(in ReadOnlySequence<byte> unsent) =>
        unsent.Length <= ChunkBytes ? unsent.Length : FrameBoundaryAfter(unsent, ChunkBytes - 1);

    /// <summary>The offset of the first frame boundary past <paramref name="offset"/> in <paramref name="frames"/> (whole frames).</summary>
    private long FrameBoundaryAfter(in ReadOnlySequence<byte> frames, long offset)
    {
        var reader = new SequenceReader<byte>(frames);
        long boundary = 0;
        while (boundary <= offset)
        {
            reader.Advance(boundary - reader.Consumed);
            boundary += _codec.HeaderSize + ReadLength(ref reader);
        }

        return boundary;
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

    private long CountFrames(in ReadOnlySequence<byte> frames)
    {
        var reader = new SequenceReader<byte>(frames);
        long count = 0;
        while (!reader.End)
        {
            reader.Advance(ReadLength(ref reader));
            count++;
        }

        return count;
    }

    /// <summary>Reads the length prefix at the reader's position, leaving the reader just past it.</summary>
    private int ReadLength(ref SequenceReader<byte> reader)
    {
        if (_codec.Kind == FramingKind.U32LittleEndian)
        {
            reader.TryReadLittleEndian(out int length);
            return length;
        }

        reader.TryReadBigEndian(out short shortLength);
        return (ushort)shortLength;
    }
}
