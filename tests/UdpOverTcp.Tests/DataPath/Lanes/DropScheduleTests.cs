using System.Diagnostics;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Tests.Support;
using static UdpOverTcp.DataPath.Lanes.DropSchedule.Verdict;

namespace UdpOverTcp.Tests.DataPath.Lanes;

/// <summary>When the head of a lane is dropped: gently by CoDel's control law, at once in an overload.</summary>
[UnitTest]
public sealed class DropScheduleTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private const long Start = 1_000_000_000;
    private readonly DropSchedule _schedule = new(targetTicks: 5 * Ms, Stopwatch.Frequency);

    [Fact]
    public void A_young_head_is_kept_however_long_the_queue_has_been_there()
    {
        for (long t = 0; t < 1000; t += 10)
        {
            Assert.Equal(Keep, _schedule.Decide(Start + (t * Ms), Start + ((t - 5) * Ms), DropSchedule.Load.Overload));
        }
    }

    [Fact]
    public void A_standing_queue_loses_one_frame_after_the_interval_then_the_next_ones_sooner_and_sooner()
    {
        var drops = DropsWhileStanding(DropSchedule.Load.Dip, TimeSpan.FromMilliseconds(400));

        // Above the target from 5 ms on, and a dip's allowance of an interval (100 ms) more: standing from
        // 105 ms, the first drop an interval later, the next after another 100 ms, then after 100/√2,
        // 100/√3 ms (RFC 8289's control law).
        Assert.Equal([205, 305, 376], drops);
    }

    [Fact]
    public void A_dip_of_a_few_round_trips_costs_delay_not_datagrams()
    {
        // PROBE_RTT on a 50 ms path: the head ages for 300 ms (a check every millisecond). The interval is
        // 4 round trips (200 ms), and a dip waits one more before it counts as standing.
        _schedule.NoteRoundTrip(50 * Ms);
        Assert.Empty(DropsWhileStanding(DropSchedule.Load.Dip, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(405, DropsWhileStanding(DropSchedule.Load.Dip, TimeSpan.FromMilliseconds(500)).First());
    }

    [Fact]
    public void An_overload_loses_all_its_stale_head_after_the_shorter_interval_and_at_once_when_it_returns()
    {
        Assert.Equal(Keep, _schedule.Decide(Start + (54 * Ms), Start, DropSchedule.Load.Overload));
        Assert.Equal(DropStretch, _schedule.Decide(Start + (56 * Ms), Start, DropSchedule.Load.Overload));
        Assert.Equal(DropStretch, _schedule.Decide(Start + (57 * Ms), Start + (40 * Ms), DropSchedule.Load.Overload));
        Assert.Equal(Keep, _schedule.Decide(Start + (60 * Ms), Start + (58 * Ms), DropSchedule.Load.Overload));   // young: the spell ends

        // 100 ms later it stands again: dropped from at once.
        Assert.Equal(DropStretch, _schedule.Decide(Start + (170 * Ms), Start + (160 * Ms), DropSchedule.Load.Overload));
    }

    [Fact]
    public void A_queue_that_drains_by_itself_loses_nothing_however_old_its_head()
    {
        for (long t = 0; t < 2000; t += 10)
        {
            Assert.Equal(Keep, _schedule.Decide(Start + (t * Ms), Start, DropSchedule.Load.Draining));
        }
    }

    [Fact]
    public void An_overload_lasts_through_a_dip_of_the_link()
    {
        Assert.Equal(DropStretch, _schedule.Decide(Start + (60 * Ms), Start, DropSchedule.Load.Overload));

        // PROBE_RTT halts the link while the overload goes on: still dropped at once, not by the gentle law.
        Assert.Equal(DropStretch, _schedule.Decide(Start + (100 * Ms), Start + (80 * Ms), DropSchedule.Load.Dip));
        Assert.Equal(Keep, _schedule.Decide(Start + (110 * Ms), Start + (108 * Ms), DropSchedule.Load.Dip));   // young: the spell ends

        // A dip that stands later is a dip: a gentle interval first.
        Assert.Equal(Keep, _schedule.Decide(Start + (2200 * Ms), Start + (2150 * Ms), DropSchedule.Load.Dip));
    }

    /// <summary>The moments (ms from the start) at which frames are dropped while the head ages from 0 for <paramref name="standing"/>, asked every millisecond.</summary>
    private List<long> DropsWhileStanding(DropSchedule.Load load, TimeSpan standing)
    {
        var drops = new List<long>();
        for (long t = 0; t <= (long)standing.TotalMilliseconds; t++)
        {
            if (_schedule.Decide(Start + (t * Ms), Start, load) == DropFrame)
            {
                drops.Add(t);
            }
        }

        return drops;
    }
}
