using UdpOverTcp.Bench;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Tests.Cli;

public class BenchOptionsTests
{
    [Fact]
    public void Defaults()
    {
        var o = BenchOptions.Parse([]);
        Assert.Equal(3, o.DurationSeconds);
        Assert.Equal([64, 1200], o.Sizes);
    }

    [Fact]
    public void Sizes_and_duration_are_settable()
    {
        var o = BenchOptions.Parse(["--size", "8,1400,65507", "-d", "0.5"]);
        Assert.Equal([8, 1400, 65507], o.Sizes);
        Assert.Equal(0.5, o.DurationSeconds);
    }

    [Theory]
    [InlineData("--size: '7' is not a size from 8 to 65507", "--size", "7")]
    [InlineData("--size: '65508' is not a size from 8 to 65507", "--size", "64,65508")]
    [InlineData("--size: '' is not a size from 8 to 65507", "--size", "64,")]
    [InlineData("--duration: '0' is not a number of seconds from 0.1 to 60", "--duration", "0")]
    [InlineData("--duration: 'x' is not a number of seconds from 0.1 to 60", "-d", "x")]
    [InlineData("--duration: '61' is not a number of seconds from 0.1 to 60", "-d", "61")]
    [InlineData("unknown option '--rate'", "--rate", "5")]
    public void Usage_errors(string message, params string[] args)
    {
        Assert.Equal(message, Assert.Throws<UsageException>(() => BenchOptions.Parse(args)).Message);
    }
}
