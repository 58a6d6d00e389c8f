using System.Text.Json;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published tunnel on the bench's real paths, as root: a small flow beside a bulk overload keeps its
/// datagrams (the priority lane), and a modest flow on a 50 ms round trip loses nothing though TCP's rate
/// dips under it (BBR's PROBE_RTT, its restart). The figures come from the bench; these bounds are wide.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed class RealPathTests
{
    [SkippableFact]
    public async Task A_small_flow_beside_a_bulk_overload_keeps_its_datagrams_and_waits_no_longer_than_over_plain_udp()
    {
        var root = await LinkWorkloadTests.RunAsync(
            ["--link", "20mbit", "--workload", "mixed", "--loads", "2", "--duration", "5", "--json", "-v"],
            ["load 2.0x, plain UDP bulk:", "load 2.0x, plain UDP small:", "load 2.0x, tunnel bulk:", "load 2.0x, tunnel small:"]);
        var rows = root.GetProperty("loads").EnumerateArray().ToList();
        var small = rows.Single(r => r.GetProperty("flow").GetString() == "small");
        var bulk = rows.Single(r => r.GetProperty("flow").GetString() == "bulk");

        // The bulk flow is overloading the link: it loses about half, on both paths.
        Assert.True(LossShare(bulk.GetProperty("tunnel")) > 0.3, $"bulk through the tunnel lost only {LossShare(bulk.GetProperty("tunnel")):P1}: no overload");

        // The small one, 250 datagrams, beside it: the tunnel loses no more than plain UDP does, give or take 2 %.
        Assert.True(
            LossShare(small.GetProperty("tunnel")) <= LossShare(small.GetProperty("plain")) + 0.02,
            $"the small flow lost {LossShare(small.GetProperty("tunnel")):P1} through the tunnel, {LossShare(small.GetProperty("plain")):P1} over plain UDP");
        double tunnelP95 = P95(small.GetProperty("tunnel"));
        double plainP95 = P95(small.GetProperty("plain"));
        Assert.True(tunnelP95 <= plainP95 + 10, $"the small flow's p95: {tunnelP95} ms through the tunnel, {plainP95} ms over plain UDP");
    }

    [SkippableFact]
    public async Task A_flow_at_a_fifth_of_the_link_on_a_50_ms_round_trip_loses_nothing_while_tcp_dips()
    {
        // BBR whatever the machine's default: its PROBE_RTT (cwnd 4 for 200 ms, about every 10 s) is the dip
        // this run is long enough to meet, beside the restart at the start of the trial.
        var root = await LinkWorkloadTests.RunAsync(
            ["--link", "20mbit", "--delay", "25ms", "--loads", "0.2", "--duration", "12", "--tunnel-args", "--congestion bbr", "--json", "-v"],
            ["load 0.2x, plain UDP:", "load 0.2x, tunnel:"]);
        var row = root.GetProperty("loads").EnumerateArray().Single();

        Assert.Equal(0, row.GetProperty("plain").GetProperty("lost").GetInt64());
        var tunnel = row.GetProperty("tunnel");
        Assert.True(tunnel.GetProperty("sent").GetInt64() > 4000, "fewer datagrams sent than 12 s at 400/s");
        Assert.True(LossShare(tunnel) <= 0.005, $"the tunnel lost {tunnel.GetProperty("lost")} of {tunnel.GetProperty("sent")} ({LossShare(tunnel):P2})");
    }

    private static double LossShare(JsonElement trial) => trial.GetProperty("lost").GetInt64() / (double)trial.GetProperty("sent").GetInt64();

    private static double P95(JsonElement trial) => trial.GetProperty("delayMilliseconds").GetProperty("p95").GetDouble();
}
