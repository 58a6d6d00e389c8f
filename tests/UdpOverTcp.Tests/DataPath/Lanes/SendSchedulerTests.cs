using System.Buffers;
using System.Diagnostics;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Lanes;

/// <summary>
/// What a link's send loop sends next from its lanes: the test plays the pump (writing and flushing
/// frames into the lanes' pipes) and the send loop (taking chunks and saying what the socket took).
/// </summary>
[UnitTest]
public sealed class SendSchedulerTests
{
    private const int Small = 100;
    private const int Large = 1200;

    private readonly FrameCodec _codec = new();
    private readonly TunnelStats _stats = new();
    private long _now = 1_000_000_000;

    [Fact]
    public void Small_datagrams_go_ahead_of_queued_bulk_and_each_lane_keeps_its_order()
    {
        var (bulk, priority, scheduler) = Lanes(share: 0.5);
        Write(bulk, Large, 1, 2, 3);
        Write(priority, Small, 4, 5);

        var sent = SendAll(bulk, scheduler, chunkBytes: long.MaxValue);

        Assert.Equal([4, 5, 1, 2, 3], sent.Select(f => f.Id));
    }

    [Fact]
    public void With_both_lanes_backlogged_the_small_ones_take_their_share_of_the_bytes()
    {
        var (bulk, priority, scheduler) = Lanes(share: 0.5);
        Write(bulk, Large, Enumerable.Range(0, 400).ToArray());
        Write(priority, Small, Enumerable.Range(1000, 4000).ToArray());

        var sent = SendAll(bulk, scheduler, chunkBytes: 1300);

        // The first 128 KiB are the small ones' credit (64 KiB at 50 %); after that, half the bytes each.
        long smallBytes = 0, total = 0;
        foreach (var frame in sent.SkipWhile(f => f.Length == Small).Take(300))
        {
            total += frame.Length;
            smallBytes += frame.Length == Small ? frame.Length : 0;
        }

        Assert.InRange(smallBytes / (double)total, 0.4, 0.6);
        Assert.Equal(4400, sent.Count);
    }

    [Fact]
    public void A_frame_begun_is_finished_before_the_other_lane_goes()
    {
        var (bulk, priority, scheduler) = Lanes(share: 0.5);
        Write(bulk, Large, 1);
        Assert.True(bulk.Reader.TryRead(out var read));
        scheduler.Begin(read.Buffer);
        Assert.True(scheduler.TryTake(long.MaxValue, out var chunk));
        scheduler.Sent(500);   // the socket took part of it
        Write(priority, Small, 2);

        Assert.True(scheduler.MidFrame);
        Assert.True(scheduler.TryTake(long.MaxValue, out var rest));
        Assert.Equal(chunk.Length - 500, rest.Length);
        scheduler.Sent(rest.Length);
        Assert.False(scheduler.MidFrame);
        Assert.True(scheduler.TryTake(long.MaxValue, out var small));
        Assert.Equal(_codec.HeaderSize + Small, small.Length);
    }

    [Fact]
    public void With_one_lane_and_no_time_bound_a_read_goes_whole_as_before_lanes()
    {
        var bulk = new OutputLane(null);
        var scheduler = new SendScheduler(_codec, bulk, null, 0);
        Write(bulk, Large, 1, 2, 3);
        Assert.True(bulk.Reader.TryRead(out var read));
        scheduler.Begin(read.Buffer);

        Assert.True(scheduler.TryTake(chunkBytes: 100, out var chunk));
        Assert.Equal(read.Buffer.Length, chunk.Length);
        scheduler.Sent(700);   // a partial send is simply gone on from
        Assert.False(scheduler.MidFrame);
        Assert.True(scheduler.TryTake(long.MaxValue, out chunk));
        Assert.Equal(read.Buffer.Length - 700, chunk.Length);
    }

    [Fact]
    public void Chunks_end_on_frame_boundaries_about_the_size_asked_for()
    {
        var (bulk, _, scheduler) = Lanes(share: 0.5);
        Write(bulk, Large, Enumerable.Range(0, 40).ToArray());   // 48 KiB
        Assert.True(bulk.Reader.TryRead(out var read));
        scheduler.Begin(read.Buffer);

        Assert.True(scheduler.TryTake(TcpNotSentLowWater.DefaultBytes, out var chunk));
        Assert.Equal(0, chunk.Length % (_codec.HeaderSize + Large));
        Assert.InRange(chunk.Length, TcpNotSentLowWater.DefaultBytes, TcpNotSentLowWater.DefaultBytes + _codec.HeaderSize + Large);
    }

    [Fact]
    public void Stale_bulk_is_dropped_while_the_small_ones_queued_beside_it_go()
    {
        var (bulk, priority, scheduler) = Lanes(share: 0.5);
        Write(bulk, Large, 1, 2);
        _now += Stopwatch.Frequency;   // a second later: the bulk lane's head has stood far longer than its interval
        Write(priority, Small, 3);
        Write(bulk, Large, 4);

        var sent = SendAll(bulk, scheduler, chunkBytes: long.MaxValue);

        // The link sent nothing lately, so no overload but a dip, long past its allowance: the control law
        // drops one, and the next an interval later.
        Assert.Equal([3, 2, 4], sent.Select(f => f.Id));
        Assert.Equal(1, _stats.DroppedStale);
    }

    private (OutputLane Bulk, OutputLane Priority, SendScheduler Scheduler) Lanes(double share)
    {
        var bulk = new OutputLane(new TimeBoundedQueue(_codec, TimeSpan.FromMilliseconds(5), _stats, () => _now));
        var priority = new OutputLane(new TimeBoundedQueue(_codec, TimeSpan.FromMilliseconds(5), _stats, () => _now));
        return (bulk, priority, new SendScheduler(_codec, bulk, priority, share));
    }

    /// <summary>The pump's side: frames of <paramref name="length"/> bytes, each starting with its id, flushed as one batch.</summary>
    private void Write(OutputLane lane, int length, params int[] ids)
    {
        foreach (int id in ids)
        {
            var payload = new byte[length];
            BitConverter.TryWriteBytes(payload, id);
            _codec.WriteFrame(lane.Writer, payload);
        }

        Assert.True(lane.FlushAsync().IsCompleted);
    }

    /// <summary>The send loop's side, with a socket that takes everything: reads the bulk lane, takes chunks until none is left.</summary>
    private List<(int Id, int Length)> SendAll(OutputLane bulk, SendScheduler scheduler, long chunkBytes)
    {
        var frames = new List<(int, int)>();
        Assert.True(bulk.Reader.TryRead(out var read));
        scheduler.Begin(read.Buffer);
        while (scheduler.TryTake(chunkBytes, out var chunk))
        {
            var rest = new ReadOnlySequence<byte>(chunk.ToArray());
            while (_codec.TryReadFrame(ref rest, out var payload))
            {
                frames.Add((BitConverter.ToInt32(payload.ToArray(), 0), (int)payload.Length));
            }

            Assert.True(rest.IsEmpty);
            scheduler.Sent(chunk.Length);
        }

        bulk.Reader.AdvanceTo(read.Buffer.End);
        return frames;
    }
}
