using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The sink and a whole trial on real loopback sockets, with hand-made datagrams where counting must be exact.</summary>
[InProcessTest]
public class DatagramSinkTests
{
    private const int Trial = 5;
    private const int Size = 64;

    [Fact]
    public async Task Counts_unique_duplicated_reordered_corrupted_and_stale_exactly()
    {
        using var receiver = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)receiver.LocalEndPoint!;
        using var sink = new DatagramSink(receiver);
        sink.BeginTrial(Trial, Size);

        foreach (long index in new long[] { 0, 1, 2, 2, 5, 3, 0 })
        {
            sender.SendTo(Datagram(Trial, index, Size), target);   // 5 unique, 2 duplicated, 1 reordered (3 after 5)
        }

        var corrupt = Datagram(Trial, 6, Size);
        corrupt[40] ^= 1;
        sender.SendTo(corrupt, target);
        var renumbered = Datagram(Trial, 7, Size);
        renumbered[1] ^= 1;   // damage to the sequence number shows in the body
        sender.SendTo(renumbered, target);
        sender.SendTo(Datagram(Trial, 8, Size + 1), target);     // this trial, wrong length
        sender.SendTo(Datagram(Trial + 1, 9, Size), target);     // a later trial cannot exist yet
        sender.SendTo(new byte[3], target);                       // too short for a sequence number
        sender.SendTo(Datagram(Trial - 1, 10, 100), target);    // a late one of an earlier trial, another size
        sender.SendTo(Datagram(Trial - 2, 11, Size), target);

        var expected = new SinkCounts(Unique: 5, Duplicated: 2, Reordered: 1, Corrupted: 5, Stale: 2);
        await Eventually.True(() => sink.Snapshot() == expected, $"counts {expected}, have {sink.Snapshot()}");

        sink.BeginTrial(Trial + 1, Size);
        Assert.Equal(default, sink.Snapshot());
    }

    [Fact]
    public async Task Several_streams_are_each_a_sequence_of_their_own()
    {
        using var receiver = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)receiver.LocalEndPoint!;
        using var sink = new DatagramSink(receiver, streams: 3);
        sink.BeginTrial(Trial, Size);

        // Stream 1 ahead of stream 0 is not reordering; within a stream it is.
        foreach (var (stream, index) in new (int, long)[] { (1, 0), (1, 1), (0, 0), (2, 0), (0, 2), (0, 1), (2, 0), (1, 1) })
        {
            sender.SendTo(Datagram(Trial, TrialSequence.StreamIndex(stream, index), Size), target);
        }

        sender.SendTo(Datagram(Trial, TrialSequence.StreamIndex(3, 0), Size), target);   // no such client
        var expected = new SinkCounts(Unique: 6, Duplicated: 2, Reordered: 1, Corrupted: 1, Stale: 0);
        await Eventually.True(() => sink.Snapshot() == expected, $"counts {expected}, have {sink.Snapshot()}");
    }

    [Fact]
    public void A_trial_spread_over_several_targets_delivers_every_stream_once_in_order()
    {
        // Three "clients" that are all the app's own socket: every batch comes back, each stream in order.
        var app = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var self = (IPEndPoint)app.LocalEndPoint!;
        using var path = BenchPath.Clients(app, [self, self, self], tunnelCpu: null, serverCpu: null);
        using var runner = new TrialRunner(path, 100);
        var result = runner.Run(20_000, TimeSpan.FromSeconds(0.2), CancellationToken.None);

        Assert.True(result.Sent > 0);
        Assert.Equal(result.Sent, result.Counts.Unique);
        Assert.Equal(0, result.Counts.Corrupted + result.Counts.Duplicated + result.Counts.Reordered + result.Counts.Stale);
    }

    [Fact]
    public void A_paced_trial_over_plain_loopback_delivers_everything_once_in_order()
    {
        using var path = BenchPath.PlainUdp(AddressFamily.InterNetwork);
        using var runner = new TrialRunner(path, 1200);
        var result = runner.Run(20_000, TimeSpan.FromSeconds(0.2), CancellationToken.None);

        Assert.True(result.Sent > 0);
        Assert.Equal(result.Sent, result.Counts.Unique);
        Assert.Equal(0, result.Counts.Corrupted + result.Counts.Duplicated + result.Counts.Reordered + result.Counts.Stale);
        Assert.Null(result.TunnelCpu);

        // A second trial on the same path: the first one's numbers are not carried over.
        var second = runner.Run(10_000, TimeSpan.FromSeconds(0.1), CancellationToken.None);
        Assert.Equal(second.Sent, second.Counts.Unique);
    }

    [Fact]
    public async Task A_stamped_trial_records_each_first_copys_one_way_delay()
    {
        using var receiver = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)receiver.LocalEndPoint!;
        using var sink = new DatagramSink(receiver);
        var delays = new long[10];
        sink.BeginTrial(Trial, Size, delays);

        // "Sent" 50 ms ago and 1 s ago; the copy of index 0 and an unstamped datagram are not timed.
        long now = Stopwatch.GetTimestamp();
        sender.SendTo(Stamped(Trial, 0, now - (Stopwatch.Frequency / 20)), target);
        sender.SendTo(Stamped(Trial, 1, now - Stopwatch.Frequency), target);
        sender.SendTo(Stamped(Trial, 0, now), target);
        sender.SendTo(Datagram(Trial, 2, Size), target);
        var expected = new SinkCounts(Unique: 2, Duplicated: 1, Reordered: 0, Corrupted: 1, Stale: 0);
        await Eventually.True(() => sink.Snapshot() == expected, $"counts {expected}, have {sink.Snapshot()}");

        Assert.Equal(2, sink.EndDelays());
        var delay = OneWayDelay.Of(delays.AsSpan(0, 2))!;
        Assert.InRange(delay.P50, 50_000, 1_000_000);   // microseconds: the earlier of the two after sorting
        Assert.InRange(delay.Max, 1_000_000, 2_000_000);

        // After EndDelays the array is the caller's: nothing more is written into it.
        sender.SendTo(Stamped(Trial, 3, now), target);
        await Eventually.True(() => sink.Snapshot().Unique == 3, "the fourth datagram");
        Assert.Equal(0, delays[2]);
    }

    [Fact]
    public void Two_flows_of_different_sizes_from_one_socket_are_counted_and_timed_each_on_its_own()
    {
        using var path = BenchPath.PlainUdp(AddressFamily.InterNetwork);
        using var runner = new FlowRunner(path, [new Flow("bulk", 1200, 2_000), Flow.Small], TrialSettings.Link);
        var results = runner.Run(TimeSpan.FromSeconds(0.5), CancellationToken.None);

        Assert.Equal(2, results.Length);
        Assert.Equal([1200, 100], results.Select(r => r.Size));
        Assert.InRange(results[0].Sent, 800, 1100);   // 2,000/s for 0.5 s
        Assert.InRange(results[1].Sent, 20, 30);      // 50/s
        foreach (var result in results)
        {
            Assert.Equal(result.Sent, result.Counts.Unique);
            Assert.Equal(0, result.Counts.Corrupted + result.Counts.Duplicated + result.Counts.Reordered);
            Assert.Equal(result.Counts.Unique, result.Delay!.Count);
            Assert.True(result.Delay.P50 <= result.Delay.P95 && result.Delay.P95 <= result.Delay.P99);
        }
    }

    [Fact]
    public void A_bursts_flow_sends_only_while_on_and_its_seconds_are_the_on_time()
    {
        using var path = BenchPath.PlainUdp(AddressFamily.InterNetwork);
        using var runner = new FlowRunner(path, [Flow.Bursts(1200, 1_000)], TrialSettings.Link);
        var result = Assert.Single(runner.Run(TimeSpan.FromSeconds(3.5), CancellationToken.None));

        // On 0-1 s and 3-3.5 s: 1.5 s at 1,000/s, not 3.5 s.
        Assert.InRange(result.Sent, 1300, 1600);
        Assert.InRange(result.Generator.Seconds, 1.45, 1.55);
        Assert.Equal(result.Sent, result.Counts.Unique);
    }

    [Fact]
    public void A_paced_stamped_trial_over_plain_loopback_times_every_datagram()
    {
        using var path = BenchPath.PlainUdp(AddressFamily.InterNetwork);
        using var runner = new TrialRunner(path, 1200, TrialSettings.Link);
        var result = runner.Run(5_000, TimeSpan.FromSeconds(0.2), CancellationToken.None);

        Assert.Equal(result.Sent, result.Counts.Unique);
        Assert.Equal(0, result.Counts.Corrupted + result.Counts.Duplicated + result.Counts.Reordered + result.Counts.Stale);
        Assert.NotNull(result.Delay);
        Assert.Equal(result.Counts.Unique, result.Delay.Count);
        Assert.True(0 <= result.Delay.P50 && result.Delay.P50 <= result.Delay.P99 && result.Delay.P99 <= result.Delay.Max);
        Assert.True(result.Delay.P50 < 1e6, $"p50 {result.Delay.P50} us on loopback");
        Assert.Equal(result.DeliveredRate * 1200 * 8, result.GoodputBitsPerSecond);
    }

    [Fact]
    public void Latency_probe_answers_every_ping_on_plain_loopback()
    {
        using var path = BenchPath.PlainUdp(AddressFamily.InterNetwork);
        Assert.True(LatencyProbe.WaitUntilDelivering(path, Guard.Timeout));
        var latency = LatencyProbe.Measure(path, CancellationToken.None);
        Assert.NotNull(latency);
        Assert.True(latency.RoundTrips > 0);
        Assert.Equal(0, latency.Lost);
        Assert.True(latency.P50 <= latency.P99 && latency.P99 <= latency.P999 && latency.P999 <= latency.Max);
    }

    private static byte[] Stamped(int trial, long index, long timestamp)
    {
        var datagram = new byte[Size];
        SequencedPayload.FillStamped(datagram, TrialSequence.Compose(trial, index), timestamp);
        return datagram;
    }

    private static byte[] Datagram(int trial, long index, int size)
    {
        var datagram = new byte[size];
        SequencedPayload.Fill(datagram, TrialSequence.Compose(trial, index));
        return datagram;
    }
}
