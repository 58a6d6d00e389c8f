using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Linux;

[UnitTest]
[NeedsLinux]
public sealed class GroRunTests
{
    [Theory]
    [InlineData(1200, 0)]      // no UDP_GRO control message
    [InlineData(1200, 1200)]   // a run of one
    [InlineData(1200, 4000)]   // a segment size larger than the message
    public void A_message_without_a_run_is_one_datagram(int length, int segmentSize)
    {
        Assert.Equal([(0, length)], Split(length, segmentSize));
    }

    [Fact]
    public void An_empty_datagram_is_still_a_datagram()
    {
        Assert.Equal([(0, 0)], Split(0, 0));
    }

    [Fact]
    public void A_run_splits_into_equal_datagrams_and_a_shorter_last_one()
    {
        Assert.Equal([(0, 1000), (1000, 1000), (2000, 500)], Split(2500, 1000));
    }

    [Fact]
    public void A_run_of_exact_multiples_has_no_empty_tail()
    {
        Assert.Equal([(0, 100), (100, 100), (200, 100)], Split(300, 100));
    }

    private static List<(int, int)> Split(int length, int segmentSize)
    {
        var datagrams = new List<(int, int)>();
        foreach (var datagram in new GroRun(length, segmentSize))
        {
            datagrams.Add(datagram);
        }

        return datagrams;
    }
}
