using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The bench reads the near tunnel end's statistics line defensively: today's format, the one with the stale counter, and anything else.</summary>
[UnitTest]
public class TunnelDropsTests
{
    private const string Today = "2026-11-26T16:31:45.425Z INFO  stats: link [::1]:53784 up 0.5s; udp->tcp received 1500 datagrams 1800000 bytes, dropped 0 no-link 12 backpressure 0 too-large 0 not-peer; tcp->udp 1 datagrams 5 bytes, 0 send errors; links 1 established 0 failed 0 malformed 0 unauthenticated 0 refused";

    private const string WithStale = "2026-11-26T16:31:45.425Z INFO  stats: link 198.18.0.2:7878 up 9.5s; udp->tcp received 41000 datagrams 49200000 bytes, dropped 0 no-link 3 backpressure 0 too-large 0 not-peer 18750 stale, queue delay now 12.5 ms max 49.9 ms; tcp->udp 0 datagrams 0 bytes, 0 send errors; links 1 established 0 failed 0 malformed 0 unauthenticated 0 refused";

    [Fact]
    public void Reads_received_and_backpressure_and_no_stale_counter_from_todays_line()
    {
        Assert.Equal(new TunnelDrops(1500, Backpressure: 12, Stale: null), TunnelDrops.Parse(Today));
    }

    [Fact]
    public void The_links_kernel_figures_before_the_counters_change_nothing()
    {
        string withFigures = WithStale.Replace(" up 9.5s;", " up 9.5s rtt 51.2 ms (min 50.1) cwnd 42 retrans 3 unsent 9.8 KB;", StringComparison.Ordinal);
        Assert.Equal(TunnelDrops.Parse(WithStale), TunnelDrops.Parse(withFigures));
    }

    [Fact]
    public void Reads_the_stale_counter_where_the_tunnel_has_it()
    {
        Assert.Equal(new TunnelDrops(41000, Backpressure: 3, Stale: 18750), TunnelDrops.Parse(WithStale));
    }

    [Fact]
    public void The_counts_of_a_trial_are_the_difference_of_two_lines()
    {
        var before = new TunnelDrops(1000, 2, 10);
        Assert.Equal(new TunnelDrops(40000, 1, 18740), TunnelDrops.Parse(WithStale)!.Since(before));
        Assert.Equal(new TunnelDrops(500, 10, null), TunnelDrops.Parse(Today)!.Since(new TunnelDrops(1000, 2, null)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-11-26T16:31:44.939Z INFO  link up: accepted [::1]:53784")]
    [InlineData("stats: udp->tcp received many datagrams")]
    public void A_line_without_the_counters_is_null(string line)
    {
        Assert.Null(TunnelDrops.Parse(line));
    }

    [Fact]
    public void A_counter_missing_from_the_dropped_part_is_null()
    {
        Assert.Equal(new TunnelDrops(7, null, null), TunnelDrops.Parse("stats: udp->tcp received 7 datagrams 70 bytes, dropped 0 no-link; tcp->udp 0 datagrams"));
        Assert.Equal(new TunnelDrops(7, null, null), TunnelDrops.Parse("stats: udp->tcp received 7 datagrams 70 bytes; tcp->udp 0 datagrams, dropped 5 backpressure"));
    }
}
