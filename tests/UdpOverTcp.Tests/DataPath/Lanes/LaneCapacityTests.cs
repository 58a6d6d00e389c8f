using System.Diagnostics;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Lanes;

/// <summary>The most a lane has lately been seen to send: what tells a dip of the link from its usual rate.</summary>
[UnitTest]
public sealed class LaneCapacityTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private readonly LaneCapacity _capacity = new(Stopwatch.Frequency);
    private long _now = 1_000_000_000;
    private long _sent;

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
        Run(LaneCapacity.Memory + TimeSpan.FromSeconds(1), bytesPerMs: 200);
        Assert.InRange(_capacity.BytesPerSecond, 190_000, 210_000);
    }

    [Fact]
    public void After_a_minute_unseen_nothing_is_known_of_the_link()
    {
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 2500);
        _now += (long)(LaneCapacity.Memory.TotalSeconds * Stopwatch.Frequency) + Ms;   // not looked at for over a minute
        _capacity.Update(_now, _sent);
        Assert.Equal(0, _capacity.BytesPerSecond);
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 250);
        Assert.InRange(_capacity.BytesPerSecond, 240_000, 260_000);   // 125 KB a window
    }

    [Fact]
    public void A_window_that_carried_only_a_ping_now_and_then_says_nothing_of_the_link()
    {
        Run(TimeSpan.FromSeconds(1), bytesPerMs: 2500);
        Run(LaneCapacity.Memory + TimeSpan.FromSeconds(1), bytesPerMs: 100);   // 50 KB a window
        Assert.Equal(0, _capacity.BytesPerSecond);
    }

    /// <summary>Moves time on a millisecond at a time, sending at the given rate and looking each time.</summary>
    private void Run(TimeSpan duration, long bytesPerMs)
    {
        for (int i = 0; i < (int)duration.TotalMilliseconds; i++)
        {
            _now += Ms;
            _sent += bytesPerMs;
            _capacity.Update(_now, _sent);
        }
    }
}
