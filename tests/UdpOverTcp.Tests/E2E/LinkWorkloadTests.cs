using System.Text.Json;
using System.Text.RegularExpressions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published bench's --link workloads other than the steady one, as root, in short runs: mixed
/// (a small flow beside a bulk one, through the one tunnel pair; here across the delay line) and
/// bursts (on/off, then a steady flow). The report must have each flow on each path, and plain UDP
/// must lose nothing at half the link's rate on a path without loss. Wide bounds only.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed partial class LinkWorkloadTests
{
    /// <summary>How long the namespaces may take to go once nothing holds them (the kernel frees them from a work queue).</summary>
    private static readonly TimeSpan CleanUpTimeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public async Task Mixed_reports_the_bulk_and_the_small_flow_on_both_paths_and_plain_udp_loses_nothing_at_half_the_rate()
    {
        var root = await RunAsync(
            ["--link", "20mbit", "--delay", "5ms", "--workload", "mixed", "--loads", "0.5", "--duration", "2", "--json", "-v"],
            ["load 0.5x, plain UDP bulk:", "load 0.5x, plain UDP small:", "load 0.5x, tunnel bulk:", "load 0.5x, tunnel small:"]);
        Assert.Equal("mixed", root.GetProperty("settings").GetProperty("workload").GetString());
        var line = root.GetProperty("link").GetProperty("delayLine");
        Assert.Equal(5, line.GetProperty("delayMilliseconds").GetDouble());
        Assert.Equal(0, line.GetProperty("lossPercent").GetDouble());
        Assert.True(line.GetProperty("towardsY").GetProperty("forwarded").GetInt64() > 0);
        Assert.Equal(0, line.GetProperty("towardsY").GetProperty("dropped").GetInt64());

        var rows = root.GetProperty("loads").EnumerateArray().ToList();
        Assert.Equal(["bulk", "small"], rows.Select(r => r.GetProperty("flow").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal(0.5, row.GetProperty("load").GetDouble());
            foreach (string path in new[] { "plain", "tunnel" })
            {
                var trial = row.GetProperty(path);
                Assert.True(trial.GetProperty("delivered").GetInt64() > 0, $"{row.GetProperty("flow")} over {path} delivered nothing");
                Assert.Equal(0, trial.GetProperty("corrupted").GetInt64());
                var delay = trial.GetProperty("delayMilliseconds");
                Assert.True(delay.GetProperty("p50").GetDouble() >= 5, $"{row.GetProperty("flow")} over {path}: p50 {delay.GetProperty("p50")} ms under the line's 5 ms");
                Assert.True(delay.GetProperty("p50").GetDouble() <= delay.GetProperty("p95").GetDouble());
                Assert.True(delay.GetProperty("p95").GetDouble() <= delay.GetProperty("p99").GetDouble());
            }

            Assert.Equal(0, row.GetProperty("plain").GetProperty("lost").GetInt64());
        }

        // 100 B at 50/s: the small flow's own size and rate, not the bulk's.
        Assert.Equal(0.04, rows[1].GetProperty("offeredMegabitsPerSecond").GetDouble(), 3);
    }

    [SkippableFact]
    public async Task Bursts_report_the_on_off_flow_and_the_steady_one_on_both_paths_and_plain_udp_loses_nothing_at_half_the_rate()
    {
        var root = await RunAsync(
            ["--link", "20mbit", "--workload", "bursts", "--loads", "0.5", "--duration", "4", "--json", "-v"],
            ["load 0.7x bursts, plain UDP:", "load 0.7x bursts, tunnel:", "load 0.5x, plain UDP:", "load 0.5x, tunnel:"]);
        Assert.Equal("bursts", root.GetProperty("settings").GetProperty("workload").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("link").GetProperty("delayLine").ValueKind);

        var rows = root.GetProperty("loads").EnumerateArray().ToList();
        Assert.Equal(["bursts", "steady"], rows.Select(r => r.GetProperty("flow").GetString()));
        Assert.Equal([0.7, 0.5], rows.Select(r => r.GetProperty("load").GetDouble()));
        foreach (var row in rows)
        {
            foreach (string path in new[] { "plain", "tunnel" })
            {
                var trial = row.GetProperty(path);
                Assert.True(trial.GetProperty("delivered").GetInt64() > 0, $"{row.GetProperty("flow")} over {path} delivered nothing");
                Assert.Equal(JsonValueKind.Object, trial.GetProperty("delayMilliseconds").ValueKind);
            }
        }

        // Bursts: sent only while on (2 of the 4 s), at 0.7x: about 14 Mbit/s / 9,600 bit = 1,458/s for 2 s.
        long burstSent = rows[0].GetProperty("plain").GetProperty("sent").GetInt64();
        Assert.InRange(burstSent, 1458 * 2 * 0.7, 1458 * 2 * 1.3);
        Assert.Equal(0, rows[1].GetProperty("plain").GetProperty("lost").GetInt64());
    }

    [SkippableFact]
    public async Task A_killed_bench_with_a_delay_line_leaves_none_of_its_three_namespaces_behind()
    {
        SkipUnlessRoot();
        using var bench = TunnelProcess.StartBench("--link", "20mbit", "--delay", "5ms", "--loss", "1%", "--duration", "3", "-v");
        var ids = NamespaceIds(await bench.WaitForLineAsync("bench: link ready:"));
        await bench.WaitForLineAsync("bench: link trial, load 0.8x, plain UDP");
        Assert.Equal(3, LinkLeftovers.Find(bench.Id, ids).Count);   // the check sees X, Y and M while they exist
        bench.Signal(9);
        var left = await LinkLeftovers.WaitUntilGoneAsync(bench.Id, ids, CleanUpTimeout);
        Assert.True(left.Count == 0, $"left behind: {string.Join("; ", left)}");
    }

    [SkippableFact]
    public async Task Without_ethtool_a_delay_line_run_says_so_in_one_line_and_exits_1()
    {
        SkipUnlessRoot();
        // A PATH with the other tools (links to them) but no ethtool.
        string bin = Directory.CreateTempSubdirectory("uot-no-ethtool-").FullName;
        try
        {
            foreach (string tool in new[] { "ip", "tc", "nsenter", "setpriv" })
            {
                string? found = new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
                Skip.If(found is null, $"no {tool} on this machine");
                File.CreateSymbolicLink(Path.Combine(bin, tool), found);
            }

            var (code, stdout, stderr) = await TunnelProcess.RunProgramAsync("/usr/bin/env", $"PATH={bin}", PublishedBinary.BenchPath, "--link", "20mbit", "--delay", "25ms");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal("udp-over-tcp-bench: --delay and --loss need ethtool on PATH (Debian package ethtool), to turn the veth offloads off", Assert.Single(stderr));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static void SkipUnlessRoot() =>
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "needs root on Linux (--link builds network namespaces); .ci/run runs as root");

    /// <summary>X's, Y's and (with a delay line) M's net:[N] from the -v line "bench: link ready: namespaces X net:[A] and Y net:[B], ..., delay line in M net:[C]: ...".</summary>
    private static string[] NamespaceIds(string readyLine) => [.. NamespaceId().Matches(readyLine).Select(m => m.Value)];

    [GeneratedRegex(@"net:\[\d+\]")]
    private static partial Regex NamespaceId();

    /// <summary>
    /// Runs the bench with -v, waiting for each trial line in turn (each within the guard's time), and
    /// returns its JSON report once it ended and its namespaces are gone.
    /// </summary>
    internal static async Task<JsonElement> RunAsync(string[] args, string[] trialLines)
    {
        SkipUnlessRoot();
        using var bench = TunnelProcess.StartBench(args);
        var ids = NamespaceIds(await bench.WaitForLineAsync("bench: link ready:"));
        foreach (string line in trialLines)
        {
            await bench.WaitForLineAsync($"bench: link trial, {line}");
        }

        int code = await bench.WaitForExitAsync();
        Assert.True(code == 0, $"exit {code}: {string.Join('\n', bench.Lines)}");
        Assert.All(bench.Lines, line => Assert.StartsWith("bench: link ", line));   // -v lines only: no warning, no error
        var left = await LinkLeftovers.WaitUntilGoneAsync(bench.Id, ids, CleanUpTimeout);
        Assert.True(left.Count == 0, $"left behind: {string.Join("; ", left)}");
        using var report = JsonDocument.Parse(bench.Stdout);
        return report.RootElement.Clone();
    }
}
