using System.Buffers;
using System.Diagnostics;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Lanes;

/// <summary>
/// The ledger of queue ages behind --queue-delay, on a clock the test moves. Most tests queue in an
/// overload (stale stretches go whole); the last one on a link whose rate is not known yet (a dip: one
/// frame at a time, by CoDel's law).
/// </summary>
[UnitTest]
public sealed class TimeBoundedQueueTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(10);

    private readonly ManualClock _clock = new();
    private readonly TunnelStats _stats = new();

    /// <summary>Just past the interval: the queue has stood above the limit long enough to be dropped from.</summary>
    private static readonly TimeSpan Standing = Limit + DropSchedule.OverloadInterval + TimeSpan.FromMilliseconds(1);

    [Theory]
    [InlineData(FramingKind.U32LittleEndian)]
    [InlineData(FramingKind.U16BigEndian)]
    public void A_standing_queue_loses_the_stretches_that_waited_too_long_and_keeps_the_rest(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(3, 100));          // queued at 0: 66 ms old when looked at
        _clock.Advance(Standing - TimeSpan.FromMilliseconds(5));
        queue.Record(stream.Add(2, 1200));         // queued at 56 ms: 10 ms old, the limit itself
        _clock.Advance(TimeSpan.FromMilliseconds(10));

        var left = queue.DropStale(stream.Sequence(segmentSize: 7));

        Assert.Equal(3, _stats.DroppedStale);
        Assert.Equal(stream.Bytes.Length - stream.FrameStarts[3], left.Length);
        Assert.Equal(stream.Bytes[stream.FrameStarts[3]..], left.ToArray());
        Assert.Contains("3 stale, queue delay now 10.0 ms max 10.0 ms", _stats.Summary());
    }

    [Fact]
    public void A_burst_above_the_limit_for_less_than_the_interval_goes_whole()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(3, 100));
        _clock.Advance(Standing - TimeSpan.FromMilliseconds(2));   // above the limit for 49 ms

        var all = stream.Sequence(segmentSize: 1000);
        Assert.Equal(all.Length, queue.DropStale(all).Length);
        Assert.Equal(0, _stats.DroppedStale);
        Assert.Contains("0 stale, queue delay now 59.0 ms max 59.0 ms", _stats.Summary());

        _clock.Advance(TimeSpan.FromMilliseconds(2));   // now 51 ms: standing
        Assert.True(queue.DropStale(all).IsEmpty);
        Assert.Equal(3, _stats.DroppedStale);
    }

    [Fact]
    public void An_overload_that_comes_back_soon_is_dropped_from_at_once()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(1, 100));
        _clock.Advance(Standing);
        queue.Record(stream.Add(1, 100));
        var left = queue.DropStale(stream.Sequence(1000));   // the first goes, the second is young: no queue stands
        Assert.Equal(1, _stats.DroppedStale);
        queue.Sent(left.Length);

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        queue.Record(stream.Add(1, 100));
        _clock.Advance(Limit + TimeSpan.FromMilliseconds(1));   // above the limit for 1 ms, 100 ms after the last one stood

        Assert.True(queue.DropStale(stream.Sequence(1000).Slice(stream.FrameStarts[2])).IsEmpty);
        Assert.Equal(2, _stats.DroppedStale);
    }

    [Fact]
    public void Fresh_bytes_go_untouched_and_a_new_read_goes_on_from_what_was_sent()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(4, 64));
        var all = stream.Sequence(segmentSize: 1000);

        Assert.Equal(all.Length, queue.DropStale(all).Length);
        queue.Sent(stream.FrameStarts[2]);   // two frames went; the rest waits
        queue.Record(stream.Add(1, 64));
        _clock.Advance(Standing);

        var rest = queue.DropStale(stream.Sequence(segmentSize: 1000).Slice(stream.FrameStarts[2]));

        Assert.True(rest.IsEmpty);
        Assert.Equal(3, _stats.DroppedStale);
    }

    [Fact]
    public void Stops_dropping_at_the_end_of_what_was_read()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(2, 10));
        var firstRead = stream.Sequence(segmentSize: 1000);
        queue.Record(stream.Add(2, 10));   // flushed after the send loop read: not in its buffer
        _clock.Advance(Standing);

        Assert.True(queue.DropStale(firstRead).IsEmpty);
        Assert.Equal(2, _stats.DroppedStale);
        var secondRead = stream.Sequence(segmentSize: 1000).Slice(firstRead.Length);
        Assert.True(queue.DropStale(secondRead).IsEmpty);
        Assert.Equal(4, _stats.DroppedStale);
    }

    [Fact]
    public void A_full_ledger_grows_its_newest_stretch_so_bytes_are_dropped_early_never_late()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now, Overloaded);
        var stream = new FrameStream(codec);
        for (int i = 0; i < 600; i++)   // more stretches than the ledger keeps
        {
            queue.Record(stream.Add(1, 8));
            _clock.Advance(TimeSpan.FromMilliseconds(0.1));
        }

        // Stretches 512 to 599 (queued 51.2 to 59.9 ms in) joined stretch 511 (51.1 ms). At 65 ms that
        // one is 13.9 ms old and goes whole, though its last datagrams waited only 5.1 ms.
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        var left = queue.DropStale(stream.Sequence(segmentSize: 4096));

        Assert.True(left.IsEmpty);
        Assert.Equal(600, _stats.DroppedStale);
    }

    [Fact]
    public void On_a_link_of_unknown_capacity_a_standing_queue_loses_one_frame_at_a_time()
    {
        var codec = new FrameCodec();
        var queue = new TimeBoundedQueue(codec, Limit, _stats, _clock.Now);
        var stream = new FrameStream(codec);
        queue.Record(stream.Add(5, 100));
        _clock.Advance(Limit + DropSchedule.GentleInterval + TimeSpan.FromMilliseconds(1));
        Assert.Equal(stream.Bytes.Length, queue.DropStale(stream.Sequence(segmentSize: 1000)).Length);   // a dip's allowance
        _clock.Advance(DropSchedule.GentleInterval);

        var left = queue.DropStale(stream.Sequence(segmentSize: 1000));

        Assert.Equal(1, _stats.DroppedStale);
        Assert.Equal(stream.Bytes[stream.FrameStarts[1]..], left.ToArray());
        Assert.Equal(left.Length, queue.DropStale(left).Length);   // the next drop is an interval away
    }

    /// <summary>The lane's rates say: overload (the link sends as fast as lately, and more arrives).</summary>
    private static DropSchedule.Load Overloaded(long now, long arrived, long sent) => DropSchedule.Load.Overload;

    /// <summary>Frames as the pump writes them, each payload filled with its frame number.</summary>
    private sealed class FrameStream(FrameCodec codec)
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public List<int> FrameStarts { get; } = [];

        public byte[] Bytes => _bytes.WrittenSpan.ToArray();

        /// <summary>Appends <paramref name="count"/> frames; returns their bytes, as a flush records them.</summary>
        public int Add(int count, int payloadLength)
        {
            int before = _bytes.WrittenCount;
            for (int i = 0; i < count; i++)
            {
                FrameStarts.Add(_bytes.WrittenCount);
                var payload = new byte[payloadLength];
                Array.Fill(payload, (byte)FrameStarts.Count);
                codec.WriteFrame(_bytes, payload);
            }

            return _bytes.WrittenCount - before;
        }

        /// <summary>All bytes so far as a sequence of <paramref name="segmentSize"/>-byte segments, as the pipe's blocks.</summary>
        public ReadOnlySequence<byte> Sequence(int segmentSize) => Segments.Every(Bytes, segmentSize);
    }

    private sealed class ManualClock
    {
        private long _now = 1_000_000;

        public long Now() => _now;

        public void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * Stopwatch.Frequency);
    }
}
