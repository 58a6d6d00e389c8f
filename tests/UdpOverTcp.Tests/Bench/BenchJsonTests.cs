using System.Text;
using System.Text.Json;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Report;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

[UnitTest]
public sealed class BenchJsonTests
{
    private const string Awkward = "quote \" backslash \\ newline \n tab \t bell \u0007 é ✓ +<>&'";

    [Fact]
    public void Writes_indented_json_that_a_real_parser_reads_back_with_every_value_intact()
    {
        var trial = new TrialResult(2000, 64, new GeneratorRun(Sent: 400, Refused: 1, Skipped: 0, Seconds: 0.2), new SinkCounts(400, 0, 0, 0, 0), TunnelCpu: null, BenchCpu: TimeSpan.FromMilliseconds(3), StolenFraction: 0.0123);
        var search = new SearchResult([trial], Best: trial, SearchLimit.None);
        var report = new BenchReport(
            "1.2.3", 2, Awkward, "linux-x64", TrialSeconds: 0.1 + 0.2, FixedRate: BenchOptions.MaxRate, "2 child processes on loopback", "portable",
            "127.0.0.1:7002", "[::1]:7000", SinkReceiveBufferBytes: 16 << 20,
            [new SizeReport(64, new PathReport("plain UDP", search), new PathReport("tunnel", search))],
            PlainLatency: new LatencyResult(100, 0, 4.26, double.NaN, double.PositiveInfinity, 40),
            PlainEchoThreadLatency: null,
            TunnelLatency: null,
            StolenFraction: null);

        var stream = new MemoryStream();
        BenchJson.Write(stream, report);
        string text = Encoding.UTF8.GetString(stream.ToArray());

        using var parsed = JsonDocument.Parse(text);
        var root = parsed.RootElement;
        Assert.Equal("1.2.3", root.GetProperty("version").GetString());
        Assert.Equal(Awkward, root.GetProperty("machine").GetProperty("os").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("machine").GetProperty("stealPercent").ValueKind);
        var settings = root.GetProperty("settings");
        Assert.Equal("rate", settings.GetProperty("mode").GetString());
        Assert.Equal(BenchOptions.MaxRate, settings.GetProperty("rate").GetInt64());
        Assert.Equal(0.1 + 0.2, settings.GetProperty("trialSeconds").GetDouble());
        Assert.Equal("[::1]:7000", settings.GetProperty("receiveOn").GetString());
        Assert.False(settings.GetProperty("tls").GetBoolean());
        var result = Assert.Single(root.GetProperty("results").EnumerateArray());
        var shown = result.GetProperty("tunnel").GetProperty("trial");
        Assert.Equal(400, shown.GetProperty("delivered").GetInt64());
        Assert.Equal(1.23, shown.GetProperty("stealPercent").GetDouble());
        Assert.True(shown.GetProperty("passed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("tunnelCpuSecondsPerMillion").ValueKind);
        Assert.Equal(1.0, result.GetProperty("tunnelToPlain").GetDouble());
        var latency = root.GetProperty("latency");
        Assert.Equal(4.3, latency.GetProperty("plain").GetProperty("p50Microseconds").GetDouble());   // rounded to 0.1 µs
        Assert.Equal(JsonValueKind.Null, latency.GetProperty("plain").GetProperty("p99Microseconds").ValueKind);   // NaN
        Assert.Equal(JsonValueKind.Null, latency.GetProperty("plain").GetProperty("p999Microseconds").ValueKind);  // infinity
        Assert.Equal(JsonValueKind.Null, latency.GetProperty("tunnel").ValueKind);

        // The shape scripts and people read: two-space indent, "name": value, \n line ends, one after the end.
        Assert.StartsWith("{\n  \"version\": \"1.2.3\",\n  \"machine\": {\n    \"cores\": 2,\n", text);
        Assert.Contains("\n  \"results\": [\n    {\n      \"size\": 64,\n", text);
        Assert.Contains("é ✓ +<>&'", text);   // not escaped as \u00E9 or \u002B
        Assert.DoesNotContain('\r', text);
        Assert.EndsWith("\n}\n", text);
        Assert.False(text.EndsWith("}\n\n", StringComparison.Ordinal));
    }
}
