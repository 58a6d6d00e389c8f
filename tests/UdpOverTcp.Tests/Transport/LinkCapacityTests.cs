using System.Diagnostics;
using UdpOverTcp.Tests.Support;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Tests.Transport;

/// <summary>The most a link has lately been seen to carry: what tells its lanes an overload from a transient.</summary>
[UnitTest]
public sealed class LinkCapacityTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private readonly LinkCapacity _capacity = new(Stopwatch.Frequency);
    private long _now = 1_000_000_000;

    [Fact]
    public void Unknown_until_a_window_has_been_measured()
    {
        Run(TimeSpan.FromMilliseconds(400), bytesPerMs: 2500);
        Assert.Equal(0, _capacity.BytesPerSecond);
        Run(TimeSpan.FromMilliseconds(200), bytesPerMs: 2500);
        Assert.InRange(_capacity.BytesPerSecond, 2_400_000, 2_600_000);
    }

    [Fact]
    public void The_highest_window_is_kept_through_a_slower_spell_and_an_idle_one()
    {
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 2500);   // 20 Mbit/s
        Run(TimeSpan.FromMilliseconds(250), bytesPerMs: 100);   // PROBE_RTT
        Run(TimeSpan.FromSeconds(30), bytesPerMs: 0);   // idle, looked at now and then
        Assert.InRange(_capacity.BytesPerSecond, 2_400_000, 2_600_000);
    }

    [Fact]
    public void Forgotten_after_a_minute_of_carrying_less()
    {
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 2500);
        Run(LinkCapacity.Memory + TimeSpan.FromSeconds(1), bytesPerMs: 100);
        Assert.InRange(_capacity.BytesPerSecond, 90_000, 110_000);
    }

    [Fact]
    public void Windows_that_passed_unseen_count_as_nothing()
    {
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 2500);
        _now += (long)(LinkCapacity.Memory.TotalSeconds * Stopwatch.Frequency) + Ms;   // not looked at for over a minute
        _capacity.Update(_now);
        Assert.InRange(_capacity.BytesPerSecond, 0, 50_000);   // the last window spans the whole gap
    }

    /// <summary>Moves time on a millisecond at a time, sending at the given rate and looking each time.</summary>
    private void Run(TimeSpan duration, long bytesPerMs)
    {
        for (int i = 0; i < (int)duration.TotalMilliseconds; i++)
        {
            _now += Ms;
            _capacity.NoteSent(bytesPerMs);
            _capacity.Update(_now);
        }
    }
}
