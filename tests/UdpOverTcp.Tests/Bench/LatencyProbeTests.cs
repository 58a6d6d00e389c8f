using System.Diagnostics;
using System.Net;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>
/// The latency probe on a slow path, a relay on loopback that holds datagrams 45 ms each way: it
/// measures the 90 ms round trips instead of declaring the path broken ("no answers"), as it once did
/// for a tunnel across hosts with 88 ms round trips. The old probe also ran its 500 warm-up round
/// trips (here 45 s) before looking at its 2 s budget, and then had no sample.
/// </summary>
[InProcessTest]
public class LatencyProbeTests
{
    [Fact]
    public void A_path_with_90_ms_round_trips_is_measured_with_enough_samples_in_bounded_time()
    {
        var oneWay = TimeSpan.FromMilliseconds(45);
        using var path = SlowPath(oneWay, out var relay);
        using (relay)
        {
            Assert.True(LatencyProbe.WaitUntilDelivering(path, Guard.Timeout));
            long start = Stopwatch.GetTimestamp();
            var latency = LatencyProbe.Measure(path, CancellationToken.None);
            var took = Stopwatch.GetElapsedTime(start);

            Assert.NotNull(latency);
            Assert.True(latency.RoundTrips >= LatencyProbe.MinRoundTrips, $"{latency.RoundTrips} round trips");
            Assert.True(latency.Lost <= latency.RoundTrips / 10, $"{latency.Lost} lost of {latency.RoundTrips}");
            Assert.InRange(latency.P50, 2 * oneWay.TotalMicroseconds, 1e6);
            Assert.True(took < TimeSpan.FromSeconds(20), $"took {took}");
        }
    }

    [Fact]
    public void A_path_that_delivers_nothing_gives_no_result_within_seconds()
    {
        // The relay is gone: nothing sent along the path arrives.
        using var path = SlowPath(TimeSpan.FromMilliseconds(1), out var relay);
        relay.Dispose();
        long start = Stopwatch.GetTimestamp();
        Assert.Null(LatencyProbe.Measure(path, CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(10));
    }

    /// <summary>A path whose datagrams and answers both go through a relay that delays them <paramref name="oneWay"/>.</summary>
    private static BenchPath SlowPath(TimeSpan oneWay, out DelayRelay relay)
    {
        var sender = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var receiver = BenchPath.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        relay = new DelayRelay((IPEndPoint)receiver.LocalEndPoint!, oneWay);
        return BenchPath.Between("slow", sender, relay.Front, receiver, tunnelCpu: null);
    }
}
