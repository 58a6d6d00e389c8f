using System.Text.Json;
using System.Text.RegularExpressions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published bench's --link (issue 12: latency under load), as root: one short run across a
/// 20 Mbit/s tbf link, shared by the tests of this class (<see cref="Run20Mbit"/>), then a killed run
/// and the runs that cannot start. Wide bounds only: exact figures come from the bench, not from
/// here. Each bound is far from what it guards against.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed partial class LinkBenchTests(LinkBenchTests.Run20Mbit run) : IClassFixture<LinkBenchTests.Run20Mbit>
{
    /// <summary>
    /// The tunnel's one-way delay p99 at twice the link's rate stays below this. Without the
    /// time-bounded UDP->TCP queue it was 570-740 ms (10 s trials; 440 ms in this test's 3 s trials,
    /// its queue still growing); with it, about 50-60 ms, as plain UDP's 46 ms of tbf queue.
    /// </summary>
    public const double TunnelOverloadP99BoundMilliseconds = 300;

    /// <summary>Plain UDP at twice the rate waits in the tbf queue: 20 ms at the rate plus the 64 KiB bucket, 46 ms at 20 Mbit/s.</summary>
    private const double PlainOverloadP99MinMilliseconds = 20;
    private const double PlainOverloadP99MaxMilliseconds = 150;

    /// <summary>How long the namespaces may take to go once nothing holds them (the kernel frees them from a work queue).</summary>
    private static readonly TimeSpan CleanUpTimeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public void The_json_has_the_link_the_settings_and_both_paths_at_three_loads_intact()
    {
        var root = run.Json();
        Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetProperty("kernel").GetString()));
        var link = root.GetProperty("link");
        Assert.Equal("20mbit", link.GetProperty("rate").GetString());
        Assert.Equal(20_000_000, link.GetProperty("rateBitsPerSecond").GetInt64());
        Assert.Equal("tbf rate 20mbit burst 64kb latency 20ms", link.GetProperty("qdisc").GetString());
        Assert.Contains("rate 20Mbit burst 64Kb lat 20ms", link.GetProperty("qdiscShown").GetString());
        Assert.False(string.IsNullOrEmpty(link.GetProperty("congestionControl").GetString()));
        Assert.Equal("198.18.0.1", link.GetProperty("senderAddress").GetString());
        Assert.Equal("198.18.0.2", link.GetProperty("receiverAddress").GetString());
        var settings = root.GetProperty("settings");
        Assert.Equal(1200, settings.GetProperty("size").GetInt32());
        Assert.Equal(3, settings.GetProperty("trialSeconds").GetDouble());
        Assert.StartsWith("interleaved", settings.GetProperty("order").GetString());
        Assert.Equal("", settings.GetProperty("tunnelArgs").GetString());
        Assert.False(settings.GetProperty("tls").GetBoolean());

        var loads = root.GetProperty("loads").EnumerateArray().ToList();
        Assert.Equal([0.8, 1.2, 2.0], loads.Select(l => l.GetProperty("load").GetDouble()));
        foreach (var load in loads)
        {
            Assert.Equal(20 * load.GetProperty("load").GetDouble(), load.GetProperty("offeredMegabitsPerSecond").GetDouble(), 3);
            foreach (string path in new[] { "plain", "tunnel" })
            {
                var trial = load.GetProperty(path);
                Assert.True(trial.GetProperty("delivered").GetInt64() > 0, $"{path} delivered nothing");
                foreach (string field in new[] { "reordered", "duplicated", "corrupted" })
                {
                    long count = trial.GetProperty(field).GetInt64();
                    // The tunnel never reorders. Plain UDP may, a very little, on the kernel's side: the
                    // tbf queue is emptied by whichever core runs it (the sender's, or its timer's), and
                    // veth hands each packet to that core's backlog, so two cores can deliver neighbours
                    // out of order. Only plain UDP crosses the shaped veth (the tunnel's datagrams go over
                    // loopback in each namespace, its TCP over the veth). Seen twice in about 20 runs on
                    // 2026-12-07 (1 and 2 reordered of some thousands), before this message named the path.
                    long allowed = path == "plain" && field == "reordered" ? trial.GetProperty("delivered").GetInt64() / 100 : 0;
                    Assert.True(count <= allowed, $"{path} at {load.GetProperty("load").GetDouble()}x: {count} {field}");
                }

                var delay = trial.GetProperty("delayMilliseconds");
                Assert.Equal(trial.GetProperty("delivered").GetInt64(), delay.GetProperty("count").GetInt64());
                Assert.True(delay.GetProperty("p50").GetDouble() <= delay.GetProperty("p99").GetDouble());
                Assert.True(delay.GetProperty("p99").GetDouble() <= delay.GetProperty("max").GetDouble());
                foreach (string field in new[] { "sentMegabitsPerSecond", "goodputMegabitsPerSecond", "seconds", "sent", "lost", "lossPercent", "sendErrors" })
                {
                    Assert.Equal(JsonValueKind.Number, trial.GetProperty(field).ValueKind);
                }
            }

            // The near end's counters were read over each tunnel trial; this tunnel may or may not have "stale".
            var drops = load.GetProperty("tunnelDrops");
            Assert.True(drops.GetProperty("received").GetInt64() >= load.GetProperty("tunnel").GetProperty("sent").GetInt64() * 9 / 10);
            Assert.Equal(JsonValueKind.Number, drops.GetProperty("backpressure").ValueKind);
            Assert.Equal(JsonValueKind.Number, load.GetProperty("goodputTunnelToPlain").ValueKind);
            Assert.Equal(JsonValueKind.Number, load.GetProperty("p99TunnelMinusPlainMilliseconds").ValueKind);
        }
    }

    [SkippableFact]
    public void Plain_udp_at_twice_the_rate_waits_in_the_tbf_queue()
    {
        double p99 = Load(2.0).GetProperty("plain").GetProperty("delayMilliseconds").GetProperty("p99").GetDouble();
        Assert.InRange(p99, PlainOverloadP99MinMilliseconds, PlainOverloadP99MaxMilliseconds);
    }

    [SkippableFact]
    public void The_tunnel_loses_nothing_under_the_links_rate()
    {
        var tunnel = Load(0.8).GetProperty("tunnel");
        Assert.True(tunnel.GetProperty("sent").GetInt64() > 0);
        Assert.Equal(0, tunnel.GetProperty("lost").GetInt64());
    }

    [SkippableFact]
    public void The_tunnel_bounds_its_queueing_delay_at_twice_the_links_rate()
    {
        double p99 = Load(2.0).GetProperty("tunnel").GetProperty("delayMilliseconds").GetProperty("p99").GetDouble();
        Assert.True(p99 < TunnelOverloadP99BoundMilliseconds, $"tunnel one-way delay p99 at 2x: {p99} ms (bound {TunnelOverloadP99BoundMilliseconds} ms)");
    }

    [SkippableFact]
    public async Task When_the_bench_ends_its_tunnel_ends_namespaces_and_veth_are_gone()
    {
        run.SkipUnlessRan();
        await run.TunnelsExited.Within("the tunnel ends to exit after the bench");
        var left = await LinkLeftovers.WaitUntilGoneAsync(run.BenchPid, run.NamespaceIds, CleanUpTimeout);
        Assert.True(left.Count == 0, $"left behind: {string.Join("; ", left)}");
    }

    [SkippableFact]
    public async Task A_killed_bench_leaves_no_namespace_veth_or_tunnel_end_behind()
    {
        Run20Mbit.SkipUnlessRoot();
        using var bench = TunnelProcess.StartBench("--link", "20mbit", "--duration", "3", "-v");
        var ready = Ready.Parse(await bench.WaitForLineAsync("bench: link ready:"));
        var exits = ready.TunnelPids.Select(ProcessExit.Watch).ToList();
        try
        {
            // Killed in the middle of a trial, with traffic in flight.
            await bench.WaitForLineAsync("bench: link trial, load 0.8x, plain UDP");
            Assert.NotEmpty(LinkLeftovers.Find(bench.Id, ready.NamespaceIds));   // the check sees them while they exist
            bench.Signal(9);
            await Task.WhenAll(exits.Select(e => e?.ExitedAsync() ?? Task.CompletedTask)).Within("the killed bench's tunnel ends to exit");
            var left = await LinkLeftovers.WaitUntilGoneAsync(bench.Id, ready.NamespaceIds, CleanUpTimeout);
            Assert.True(left.Count == 0, $"left behind: {string.Join("; ", left)}");
        }
        finally
        {
            foreach (var exit in exits)
            {
                exit?.Dispose();
            }
        }
    }

    [SkippableTheory]
    [InlineData("net_admin,sys_admin", "CAP_SYS_ADMIN and CAP_NET_ADMIN")]
    [InlineData("net_admin", "CAP_NET_ADMIN")]
    [InlineData("sys_admin", "CAP_SYS_ADMIN")]
    public async Task Without_root_it_says_in_one_line_what_it_needs_and_exits_1(string dropped, string lacks)
    {
        WithoutCapabilities.SkipUnlessPossible();
        using var bench = WithoutCapabilities.StartBench(dropped, "--link", "20mbit");
        Assert.Equal(1, await bench.WaitForExitAsync());
        Assert.Equal("", bench.Stdout);
        Assert.Equal(
            $"udp-over-tcp-bench: --link needs root (CAP_SYS_ADMIN to make network namespaces, CAP_NET_ADMIN to configure them; this process lacks {lacks}): run it with sudo",
            Assert.Single(bench.Lines));
    }

    [SkippableFact]
    public async Task Without_its_tools_it_says_which_are_missing_and_exits_1()
    {
        Run20Mbit.SkipUnlessRoot();
        var (code, stdout, stderr) = await TunnelProcess.RunProgramAsync("/usr/bin/env", "PATH=/nonexistent", PublishedBinary.BenchPath, "--link", "20mbit");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("udp-over-tcp-bench: --link needs ip and tc (iproute2), nsenter and setpriv (util-linux) on PATH; missing: ip, tc, nsenter, setpriv", Assert.Single(stderr));
    }

    private JsonElement Load(double load) => run.Json().GetProperty("loads").EnumerateArray().Single(l => l.GetProperty("load").GetDouble() == load);

    /// <summary>The -v line "bench: link ready: namespaces X net:[A] and Y net:[B], ...; tunnel ends: listen pid N in Y, connect pid M in X".</summary>
    private sealed partial record Ready(string[] NamespaceIds, int[] TunnelPids)
    {
        public static Ready Parse(string line)
        {
            var m = ReadyLine().Match(line);
            Assert.True(m.Success, $"unexpected line: {line}");
            return new Ready([m.Groups[1].Value, m.Groups[2].Value], [int.Parse(m.Groups[3].Value), int.Parse(m.Groups[4].Value)]);
        }

        [GeneratedRegex(@"namespaces X (net:\[\d+\]) and Y (net:\[\d+\]), .*listen pid (\d+) in Y, connect pid (\d+) in X")]
        private static partial Regex ReadyLine();
    }

    /// <summary>
    /// One `udp-over-tcp-bench --link 20mbit --duration 3 --json -v` run (about 25 s), shared by the
    /// tests that read its report, with the namespaces and tunnel ends it reported (-v) watched from
    /// the start. Not run without root.
    /// </summary>
    public sealed class Run20Mbit : IAsyncLifetime
    {
        private string? _skip;
        private string? _failure;
        private string _stdout = "";
        private IReadOnlyList<string> _stderr = [];
        private int _exitCode;
        private List<ProcessExit?> _exits = [];
        private JsonDocument? _report;

        public int BenchPid { get; private set; }

        public IReadOnlyCollection<string> NamespaceIds { get; private set; } = [];

        public Task TunnelsExited { get; private set; } = Task.CompletedTask;

        public static void SkipUnlessRoot() =>
            Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "needs root on Linux (--link builds network namespaces); .ci/run runs as root");

        public async Task InitializeAsync()
        {
            if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            {
                _skip = "needs root on Linux (--link builds network namespaces); .ci/run runs as root";
                return;
            }

            try
            {
                await RunAsync();
            }
            catch (Exception e)
            {
                _failure = $"the bench run failed: {e.Message}";   // each test that needs it says so; the others run
            }
        }

        private async Task RunAsync()
        {
            using var bench = TunnelProcess.StartBench("--link", "20mbit", "--duration", "3", "--json", "-v");
            BenchPid = bench.Id;
            var ready = Ready.Parse(await bench.WaitForLineAsync("bench: link ready:"));
            NamespaceIds = ready.NamespaceIds;
            _exits = ready.TunnelPids.Select(ProcessExit.Watch).ToList();
            TunnelsExited = Task.WhenAll(_exits.Select(e => e?.ExitedAsync() ?? Task.CompletedTask));

            // A trial line every few seconds (each wait is bounded by the guard), then the end.
            foreach (string load in new[] { "0.8x", "1.2x", "2.0x" })
            {
                foreach (string path in new[] { "plain UDP", "tunnel" })
                {
                    await bench.WaitForLineAsync($"bench: link trial, load {load}, {path}:");
                }
            }

            _exitCode = await bench.WaitForExitAsync();
            _stdout = bench.Stdout;
            _stderr = bench.Lines;
            if (_exitCode == 0)
            {
                _report = JsonDocument.Parse(_stdout);
            }
        }

        public Task DisposeAsync()
        {
            foreach (var exit in _exits)
            {
                exit?.Dispose();
            }

            _report?.Dispose();
            return Task.CompletedTask;
        }

        public void SkipUnlessRan()
        {
            Skip.If(_skip is not null, _skip);
            Assert.True(_failure is null, _failure);
        }

        /// <summary>The report; the test fails with what the bench said if it did not end well.</summary>
        public JsonElement Json()
        {
            SkipUnlessRan();
            Assert.True(_exitCode == 0 && _report is not null, $"exit {_exitCode}: {string.Join('\n', _stderr)}");
            Assert.All(_stderr, line => Assert.StartsWith("bench: link ", line));   // -v lines only: no warning, no error
            return _report.RootElement;
        }
    }
}
