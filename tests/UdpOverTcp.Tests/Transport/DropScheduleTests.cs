using System.Diagnostics;
using UdpOverTcp.Tests.Support;
using UdpOverTcp.Transport;
using static UdpOverTcp.Transport.DropSchedule.Verdict;

namespace UdpOverTcp.Tests.Transport;

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
            Assert.Equal(Keep, _schedule.Decide(Start + (t * Ms), Start + ((t - 5) * Ms), overloaded: true));
        }
    }

    [Fact]
    public void A_standing_queue_loses_one_frame_after_the_interval_then_the_next_ones_sooner_and_sooner()
    {
        var drops = DropsWhileStanding(overloaded: false, TimeSpan.FromMilliseconds(400));

        // Above the target from 5 ms on: the first drop an interval (100 ms) later, the next after another
        // 100 ms, then after 100/√2, 100/√3, 100/√4 ms (RFC 8289's control law).
        Assert.Equal([105, 205, 276, 334, 384], drops);
    }

    [Fact]
    public void A_transient_of_a_few_round_trips_costs_a_few_datagrams_not_a_tenth_of_them()
    {
        // PROBE_RTT on a 50 ms path: the head ages for 250 ms at 1,000 datagrams a second (a check per datagram).
        _schedule.NoteRoundTrip(50 * Ms);
        var drops = DropsWhileStanding(overloaded: false, TimeSpan.FromMilliseconds(250));

        Assert.InRange(drops.Count, 1, 2);   // the interval is 4 round trips: 200 ms
        Assert.Equal(205, drops[0]);
    }

    [Fact]
    public void An_overload_loses_all_its_stale_head_after_the_shorter_interval_and_at_once_when_it_returns()
    {
        Assert.Equal(Keep, _schedule.Decide(Start + (54 * Ms), Start, overloaded: true));
        Assert.Equal(DropStretch, _schedule.Decide(Start + (56 * Ms), Start, overloaded: true));
        Assert.Equal(DropStretch, _schedule.Decide(Start + (57 * Ms), Start + (40 * Ms), overloaded: true));
        Assert.Equal(Keep, _schedule.Decide(Start + (60 * Ms), Start + (58 * Ms), overloaded: true));   // young: the spell ends

        // 100 ms later it stands again: dropped from at once.
        Assert.Equal(DropStretch, _schedule.Decide(Start + (170 * Ms), Start + (160 * Ms), overloaded: true));
    }

    [Fact]
    public void A_gentle_spell_after_an_overload_does_not_drop_a_backlog_of_frames_at_once()
    {
        Assert.Equal(DropStretch, _schedule.Decide(Start + (60 * Ms), Start, overloaded: true));
        Assert.Equal(DropStretch, _schedule.Decide(Start + (500 * Ms), Start + (400 * Ms), overloaded: true));

        // The overload has passed and the queue still stands: the next drop is an interval away, not due since 60 ms.
        Assert.Equal(Keep, _schedule.Decide(Start + (510 * Ms), Start + (490 * Ms), overloaded: false));
    }

    /// <summary>The moments (ms from the start) at which frames are dropped while the head ages from 0 for <paramref name="standing"/>, asked every millisecond.</summary>
    private List<long> DropsWhileStanding(bool overloaded, TimeSpan standing)
    {
        var drops = new List<long>();
        for (long t = 0; t <= (long)standing.TotalMilliseconds; t++)
        {
            if (_schedule.Decide(Start + (t * Ms), Start, overloaded) == DropFrame)
            {
                drops.Add(t);
            }
        }

        return drops;
    }
}
