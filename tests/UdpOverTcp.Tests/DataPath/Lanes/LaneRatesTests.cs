using System.Diagnostics;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Tests.Support;
using static UdpOverTcp.DataPath.Lanes.DropSchedule.Load;

namespace UdpOverTcp.Tests.DataPath.Lanes;

/// <summary>A queue that drains, a dip of the link and an overload, told apart by the lane's rates.</summary>
[UnitTest]
public sealed class LaneRatesTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private readonly LaneRates _rates = new(Stopwatch.Frequency);
    private long _now = 1_000_000_000;
    private long _arrived;
    private long _sent;

    [Fact]
    public void While_the_rate_of_the_link_is_not_known_a_standing_queue_is_a_dip()
    {
        Assert.Equal(Dip, Run(TimeSpan.FromMilliseconds(400), arrivePerMs: 5000, sendPerMs: 2500));
    }

    [Fact]
    public void A_fresh_link_in_slow_start_under_a_modest_flow_is_in_a_dip_not_an_overload()
    {
        // 0.5x on a 50 ms path from the first datagram: TCP's rate doubles every round trip until it carries it.
        _rates.NoteRoundTrip(50 * Ms);
        var loads = new List<DropSchedule.Load>();
        for (long rate = 40; rate < 1250; rate *= 2)
        {
            loads.Add(Run(TimeSpan.FromMilliseconds(50), arrivePerMs: 1250, sendPerMs: rate));
        }

        loads.Add(Run(TimeSpan.FromSeconds(2), arrivePerMs: 1250, sendPerMs: 1250));
        Assert.DoesNotContain(Overload, loads);
    }

    [Fact]
    public void Sending_as_fast_as_lately_with_more_arriving_is_an_overload()
    {
        Run(TimeSpan.FromSeconds(1), arrivePerMs: 2000, sendPerMs: 2000);   // 16 Mbit/s, 0.8x of 20
        Assert.Equal(Overload, Run(TimeSpan.FromMilliseconds(200), arrivePerMs: 3000, sendPerMs: 2400));   // 1.2x: the link is full
    }

    [Fact]
    public void Sending_far_less_than_lately_is_a_dip_and_sending_more_than_arrives_drains()
    {
        Run(TimeSpan.FromSeconds(1), arrivePerMs: 1250, sendPerMs: 1250);   // 0.5x
        Assert.Equal(Dip, Run(TimeSpan.FromMilliseconds(200), arrivePerMs: 1250, sendPerMs: 116));   // PROBE_RTT: cwnd 4 on a 50 ms path
        Assert.Equal(Draining, Run(TimeSpan.FromMilliseconds(200), arrivePerMs: 1250, sendPerMs: 2500));
    }

    [Fact]
    public void A_rate_that_still_climbs_to_meet_the_arrivals_is_a_dip()
    {
        _rates.NoteRoundTrip(50 * Ms);
        Run(TimeSpan.FromSeconds(1), arrivePerMs: 500, sendPerMs: 500);   // 0.2x
        Run(TimeSpan.FromSeconds(10), arrivePerMs: 0, sendPerMs: 0);

        // 0.5x after it, with TCP in slow start again: its rate doubles every 50 ms round trip.
        var loads = new List<DropSchedule.Load>();
        for (long rate = 50; rate < 1250; rate *= 2)
        {
            loads.Add(Run(TimeSpan.FromMilliseconds(50), arrivePerMs: 1250, sendPerMs: rate));
        }

        Assert.DoesNotContain(Overload, loads);
    }

    [Fact]
    public void On_a_short_path_an_overload_that_starts_after_a_silence_is_one_from_its_first_measures()
    {
        _rates.NoteRoundTrip(Ms / 10);
        Run(TimeSpan.FromSeconds(1), arrivePerMs: 2000, sendPerMs: 2000);
        Run(TimeSpan.FromSeconds(10), arrivePerMs: 0, sendPerMs: 0);
        Assert.Equal(Overload, Run(TimeSpan.FromMilliseconds(60), arrivePerMs: 3000, sendPerMs: 2400));
    }

    /// <summary>Moves time on a millisecond at a time at the given rates, asking each time; the last answer.</summary>
    private DropSchedule.Load Run(TimeSpan duration, long arrivePerMs, long sendPerMs)
    {
        var load = Dip;
        for (int i = 0; i < (int)duration.TotalMilliseconds; i++)
        {
            _now += Ms;
            _arrived += arrivePerMs;
            _sent += sendPerMs;
            load = _rates.Judge(_now, _arrived, _sent);
        }

        return load;
    }
}
