using System.Text.Json;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Report;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The --link report's table and JSON for the workloads and the delay line, from a made-up report.</summary>
[UnitTest]
public class LinkReportTextTests
{
    private static readonly LinkPath Line = new(25, 0.005, 1234, new DelayLineCounts(1000, 5, 0), new DelayLineCounts(400, 2, 0));

    [Fact]
    public void A_steady_run_keeps_its_columns_and_says_there_is_no_delay_line()
    {
        string text = Table(Report(LinkWorkload.Steady, path: null, Row("steady", 0.8, 1200, 16e6)));
        Assert.Contains("both directions shaped with tbf rate 20mbit burst 64kb latency 20ms", text);
        Assert.Contains("path: no delay line", text);
        Assert.Contains("| offered | path | goodput | loss | delay p50 | p99 | max |", text);
        Assert.Contains("| 16.0 Mbit/s (0.8x) | plain UDP |", text);
    }

    [Fact]
    public void A_mixed_run_has_a_flow_column_p95_and_the_delay_lines_facts()
    {
        string text = Table(Report(LinkWorkload.Mixed, Line, Row("bulk", 0.5, 1200, 10e6), Row("small", 0.5, 100, 40_000)));
        Assert.Contains("path: a delay line of the bench's in a third namespace M between X and Y", text);
        Assert.Contains("25 ms one way, 0.5 % loss each way (seed 1234); frames X -> Y 1000 forwarded, 5 dropped; Y -> X 400 forwarded, 2 dropped", text);
        Assert.Contains("| offered | flow | path | goodput | loss | delay p50 | p95 | p99 | max |", text);
        Assert.Contains("| 10.0 Mbit/s (0.5x) | bulk | plain UDP |", text);
        Assert.Contains("| 0.04 Mbit/s (beside 0.5x) | small | tunnel |", text);
        Assert.Contains("| 25.0 ms | 26.0 ms | 27.0 ms | 30.0 ms |", text);
    }

    [Fact]
    public void The_json_gives_the_workload_the_delay_line_and_each_flow_with_p95()
    {
        using var stream = new MemoryStream();
        BenchJson.Write(stream, Report(LinkWorkload.Bursts, Line, Row("bursts", 0.7, 1200, 14e6), Row("steady", 0.2, 1200, 4e6)));
        using var json = JsonDocument.Parse(stream.ToArray());
        var root = json.RootElement;
        Assert.Equal("bursts", root.GetProperty("settings").GetProperty("workload").GetString());
        var line = root.GetProperty("link").GetProperty("delayLine");
        Assert.Equal(25, line.GetProperty("delayMilliseconds").GetDouble());
        Assert.Equal(0.5, line.GetProperty("lossPercent").GetDouble());
        Assert.Equal(1234, line.GetProperty("seed").GetInt32());
        Assert.Equal(5, line.GetProperty("towardsY").GetProperty("dropped").GetInt64());
        Assert.Equal(400, line.GetProperty("towardsX").GetProperty("forwarded").GetInt64());
        var rows = root.GetProperty("loads").EnumerateArray().ToList();
        Assert.Equal(["bursts", "steady"], rows.Select(r => r.GetProperty("flow").GetString()));
        Assert.Equal(26, rows[0].GetProperty("plain").GetProperty("delayMilliseconds").GetProperty("p95").GetDouble());
    }

    private static string Table(LinkReport report)
    {
        using var text = new StringWriter();
        BenchTable.Write(text, report);
        return text.ToString();
    }

    private static LinkLoad Row(string flow, double load, int size, double offeredBitsPerSecond)
    {
        double rate = offeredBitsPerSecond / (size * 8);
        var trial = new TrialResult(
            rate, size, new GeneratorRun((long)rate, 0, 0, 1), new SinkCounts((long)rate, 0, 0, 0, 0), null, TimeSpan.Zero, 0,
            new OneWayDelay((int)rate, 25_000, 26_000, 27_000, 30_000));
        return new LinkLoad(load, offeredBitsPerSecond, trial, trial, new TunnelDrops(100, 0, 0), flow);
    }

    private static LinkReport Report(LinkWorkload workload, LinkPath? path, params LinkLoad[] rows) => new(
        "0.0.0", 2, "Linux", "6.1", "linux-x64", LinkRate.Parse("20mbit"), "tbf rate 20mbit burst 64kb latency 20ms",
        "tbf 8001: root refcnt 2 rate 20Mbit burst 64Kb lat 20ms", "bbr", 1200, 10, "batched", "", rows, 0, workload, path);
}
