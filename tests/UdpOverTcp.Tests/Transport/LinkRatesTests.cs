using System.Diagnostics;
using UdpOverTcp.Tests.Support;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Tests.Transport;

/// <summary>An overload (more arrives than the link has been seen to carry) told from a transient.</summary>
[UnitTest]
public sealed class LinkRatesTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private readonly LinkRates _rates = new(Stopwatch.Frequency);
    private long _now = 1_000_000_000;
    private long _arrived;
    private long _sent;

    [Fact]
    public void Before_the_link_has_been_seen_to_carry_anything_a_standing_queue_counts_as_an_overload()
    {
        Run(TimeSpan.FromMilliseconds(300), arrivalsPerMs: 1000, sendsPerMs: 1000);
        Assert.True(_rates.Overloaded);
    }

    [Fact]
    public void Arrivals_the_link_carried_lately_are_no_overload_even_while_the_link_carries_less()
    {
        Run(TimeSpan.FromSeconds(1), arrivalsPerMs: 2500, sendsPerMs: 2500);   // 20 Mbit/s
        Run(TimeSpan.FromMilliseconds(250), arrivalsPerMs: 500, sendsPerMs: 100);   // PROBE_RTT at 0.2×

        Assert.False(_rates.Overloaded);
        Assert.InRange(_rates.Capacity, 2_400_000, 2_600_000);
    }

    [Fact]
    public void Arrivals_well_above_what_the_link_carries_are_an_overload()
    {
        Run(TimeSpan.FromSeconds(1), arrivalsPerMs: 5000, sendsPerMs: 2500);
        Assert.True(_rates.Overloaded);
    }

    [Fact]
    public void Capacity_is_remembered_across_an_idle_spell_and_forgotten_after_ten_seconds()
    {
        Run(TimeSpan.FromSeconds(1), arrivalsPerMs: 2500, sendsPerMs: 2500);
        Run(TimeSpan.FromSeconds(2), arrivalsPerMs: 0, sendsPerMs: 0);
        Run(TimeSpan.FromMilliseconds(200), arrivalsPerMs: 1750, sendsPerMs: 200);   // a burst at 0.7× after 2 s, in slow start
        Assert.False(_rates.Overloaded);

        Run(TimeSpan.FromSeconds(11), arrivalsPerMs: 100, sendsPerMs: 100);
        Assert.InRange(_rates.Capacity, 90_000, 110_000);
        Run(TimeSpan.FromMilliseconds(200), arrivalsPerMs: 1750, sendsPerMs: 200);
        Assert.True(_rates.Overloaded);
    }

    /// <summary>Moves time on in steps of a millisecond, with bytes arriving and being sent at the given rates.</summary>
    private void Run(TimeSpan duration, long arrivalsPerMs, long sendsPerMs)
    {
        for (int i = 0; i < (int)duration.TotalMilliseconds; i++)
        {
            _now += Ms;
            _arrived += arrivalsPerMs;
            _sent += sendsPerMs;
            _rates.Update(_now, _arrived, _sent);
        }
    }
}
