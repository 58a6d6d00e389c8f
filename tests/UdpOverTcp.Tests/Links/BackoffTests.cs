using UdpOverTcp.Links.Connect;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

[UnitTest]
public sealed class BackoffTests
{
    [Fact]
    public void Doubles_from_100_ms_with_jitter_and_never_exceeds_the_cap()
    {
        var backoff = Backoff.Default();
        double expected = 100;
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            double delay = backoff.Next().TotalMilliseconds;
            Assert.InRange(delay, expected * 0.8, Math.Min(5000, expected * 1.2));
            expected = Math.Min(5000, expected * 2);
        }
    }

    [Fact]
    public void Reset_starts_again_from_the_initial_delay()
    {
        var backoff = Backoff.Default();
        for (int i = 0; i < 10; i++)
        {
            backoff.Next();
        }

        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 80, 120);
    }
}
