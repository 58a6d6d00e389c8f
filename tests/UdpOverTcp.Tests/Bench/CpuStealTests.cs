using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

[UnitTest]
public class CpuStealTests
{
    [Fact]
    public void Parses_the_total_and_the_steal_column_of_the_cpu_line()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice: guest is inside user already.
        var times = CpuSteal.Parse("cpu  713002 1513 594716 1299108 3175 0 144492 15782 500 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
        Assert.Equal(new CpuTimes(713002 + 1513 + 594716 + 1299108 + 3175 + 0 + 144492 + 15782, 15782), times);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpu0 1 2 3 4 5 6 7 8\n")]
    [InlineData("cpu  1 2 3 4 5 6 7\n")]         // before steal existed
    [InlineData("cpu  1 2 3 x 5 6 7 8\n")]
    [InlineData("cpu  1 2 3 -4 5 6 7 8\n")]
    public void Anything_else_is_unknown(string stat)
    {
        Assert.Null(CpuSteal.Parse(stat));
    }

    [Fact]
    public void The_stolen_fraction_is_steal_over_all_time_between_two_readings()
    {
        Assert.Equal(0.25, CpuTimes.StolenFraction(new CpuTimes(1000, 10), new CpuTimes(1400, 110)));
        Assert.Null(CpuTimes.StolenFraction(new CpuTimes(1000, 10), new CpuTimes(1000, 10)));
        Assert.Null(CpuTimes.StolenFraction(null, new CpuTimes(1000, 10)));
        Assert.Null(CpuTimes.StolenFraction(new CpuTimes(1000, 10), null));
    }

    [Fact]
    public void This_machine_reports_steal_on_linux_and_nothing_elsewhere()
    {
        var times = CpuSteal.Read();
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(times);
            Assert.InRange(times.Value.Stolen, 0, times.Value.Total);
        }
        else
        {
            Assert.Null(times);
        }
    }
}
