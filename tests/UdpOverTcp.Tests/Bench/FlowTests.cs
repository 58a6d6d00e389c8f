using System.Diagnostics;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The on/off schedule of a --workload bursts flow: pure arithmetic on ticks.</summary>
[UnitTest]
public class FlowTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void A_steady_flow_is_always_on()
    {
        var flow = new Flow("bulk", 1200, 1000);
        Assert.True(flow.IsSteady);
        Assert.True(flow.IsOn(7 * Second));
        Assert.Equal(7 * Second, flow.OnTicks(7 * Second));
        Assert.Equal(long.MaxValue, flow.TicksUntilPhaseChange(7 * Second));
    }

    [Theory]
    [InlineData(0.0, 0.0, true, 1.0)]
    [InlineData(0.5, 0.5, true, 0.5)]
    [InlineData(1.0, 1.0, false, 2.0)]
    [InlineData(2.5, 1.0, false, 0.5)]
    [InlineData(3.0, 1.0, true, 1.0)]
    [InlineData(3.25, 1.25, true, 0.75)]
    [InlineData(9.5, 3.5, true, 0.5)]
    [InlineData(10.0, 4.0, false, 2.0)]
    public void Bursts_are_on_for_a_second_then_silent_for_two(double elapsed, double onSeconds, bool on, double untilChange)
    {
        var flow = Flow.Bursts(1200, 1000);
        long ticks = (long)(elapsed * Second);
        Assert.False(flow.IsSteady);
        Assert.Equal(on, flow.IsOn(ticks));
        Assert.Equal(onSeconds, flow.OnTicks(ticks) / (double)Second, 6);
        Assert.Equal(untilChange, flow.TicksUntilPhaseChange(ticks) / (double)Second, 6);
    }

    [Fact]
    public void The_small_flow_is_100_bytes_at_50_a_second()
    {
        Assert.Equal(100, Flow.Small.Size);
        Assert.Equal(50, Flow.Small.Rate);
        Assert.True(Flow.Small.IsSteady);
    }
}
