using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The schedule on a fake clock of 1,000,000 ticks per second.</summary>
[UnitTest]
public class PacerTests
{
    private const long Second = 1_000_000;

    [Fact]
    public void Due_follows_the_rate()
    {
        var pacer = new Pacer(100_000, start: 0, Second);
        Assert.Equal(0, pacer.Due(0, sent: 0));
        Assert.Equal(10, pacer.Due(100, sent: 0));      // 100 µs at 100,000/s
        Assert.Equal(5, pacer.Due(100, sent: 5));
        Assert.Equal(0, pacer.Due(100, sent: 10));
        Assert.Equal(0, pacer.Skipped);
    }

    [Fact]
    public void Ticks_until_next_point_at_the_next_datagram()
    {
        var pacer = new Pacer(1_000, start: 0, Second);
        Assert.Equal(1000, pacer.TicksUntilNext(0, sent: 0));
        Assert.Equal(0, pacer.TicksUntilNext(1000, sent: 0));
        Assert.Equal(1500, pacer.TicksUntilNext(500, sent: 1));
    }

    [Fact]
    public void A_long_stall_is_written_off_beyond_the_largest_burst()
    {
        var pacer = new Pacer(100_000, start: 0, Second);
        long due = pacer.Due(Second, sent: 0);   // a whole second without running
        Assert.Equal(pacer.MaxDebt, due);
        Assert.Equal(100_000 - pacer.MaxDebt, pacer.Skipped);

        // The schedule goes on from there: 1 ms later, 100 more are due beyond the burst.
        Assert.Equal(100, pacer.Due(Second + 1000, sent: due));
        Assert.Equal(100_000 - pacer.MaxDebt, pacer.Skipped);
    }

    [Fact]
    public void The_largest_burst_is_5_ms_but_at_least_a_few_batches()
    {
        Assert.Equal(5_000, new Pacer(1_000_000, 0, Second).MaxDebt);
        Assert.Equal(4 * 64, new Pacer(1_000, 0, Second).MaxDebt);
    }
}
