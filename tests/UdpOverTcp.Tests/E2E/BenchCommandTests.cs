using System.Text.Json;
using UdpOverTcp.Bench;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published binary's bench, with tiny bounded settings: the JSON has its fields and the tunnel
/// delivered datagrams without corrupting, duplicating or reordering any. Never a speed assertion.
/// </summary>
public class BenchCommandTests
{
    private static readonly string[] Tiny = ["--size", "64", "--duration", "0.2", "--rate", "2000", "--json"];

    [Theory]
    [InlineData(null)]
    [InlineData("portable")]
    public async Task Spawned_tunnels_deliver_everything_intact_and_the_json_has_every_field(string? io)
    {
        string[] args = io is null ? ["bench", .. Tiny] : ["bench", .. Tiny, "--io", io];
        var (code, stdout, stderr) = await TunnelProcess.RunAsync(args);

        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        Assert.Empty(stderr);   // no progress line when stderr is not a terminal; the children's logs are the bench's own
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(HelpText.Version, root.GetProperty("version").GetString());
        Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
        AssertSteal(root.GetProperty("machine"));
        var settings = root.GetProperty("settings");
        Assert.Equal("rate", settings.GetProperty("mode").GetString());
        Assert.Equal(2000, settings.GetProperty("rate").GetInt64());
        Assert.Equal(0.2, settings.GetProperty("trialSeconds").GetDouble());
        Assert.Equal(0.1, settings.GetProperty("lossThresholdPercent").GetDouble());
        Assert.Contains("child processes", settings.GetProperty("tunnels").GetString());
        Assert.True(settings.GetProperty("sinkReceiveBufferBytes").GetInt32() > 0);
        if (io is not null)
        {
            Assert.StartsWith(io, settings.GetProperty("dataPath").GetString());
        }

        var size = Assert.Single(root.GetProperty("results").EnumerateArray());
        Assert.Equal(64, size.GetProperty("size").GetInt32());
        AssertPath(size.GetProperty("plain"), tunnelCpu: false);
        AssertPath(size.GetProperty("tunnel"), tunnelCpu: true);
        Assert.Equal(JsonValueKind.Number, size.GetProperty("tunnelToPlain").ValueKind);

        var latency = root.GetProperty("latency");
        Assert.Equal(64, latency.GetProperty("size").GetInt32());
        AssertLatency(latency.GetProperty("plain"));
        AssertLatency(latency.GetProperty("plainEchoThread"));
        AssertLatency(latency.GetProperty("tunnel"));
    }

    [Fact]
    public async Task A_killed_bench_takes_its_tunnels_with_it()
    {
        // Many short trials, so the bench is still busy when the first tunnel trial is reported (-v).
        using var bench = TunnelProcess.Start("bench", "--size", "64,100,200,300,400,500,600,700,800,900", "--duration", "0.2", "--rate", "1000", "-v");
        await bench.WaitForLineAsync(" tunnel trial 1:");
        var tunnels = ProcessExit.ChildrenOf(bench.Id);
        Assert.Equal(2, tunnels.Count);
        var exits = tunnels.Select(ProcessExit.Watch).ToList();
        try
        {
            bench.Signal(9);   // SIGKILL: no clean-up code of the bench's runs
            // Their stdin, a pipe only the bench held open, ends: both stop as on SIGTERM.
            await Task.WhenAll(exits.Select(e => e?.ExitedAsync() ?? Task.CompletedTask)).Within("the bench's tunnels to exit");
        }
        finally
        {
            foreach (var exit in exits)
            {
                exit?.Dispose();
            }
        }
    }

    [Fact]
    public async Task External_drives_tunnels_started_elsewhere_through_both_ends_and_back()
    {
        // As the help says: both ends deliver to RECV_ADDR, the bench sends into the near end from it.
        int receivePort = FreePort.Udp();
        string receiveOn = $"127.0.0.1:{receivePort}";
        using var far = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", receiveOn);
        var (tcp, _) = SpawnedTunnels.ParseEndpoints(await far.WaitForLineAsync("listening on tcp"));
        using var near = TunnelProcess.Start("-t", tcp.ToString(), "-u", "127.0.0.1:0", "-p", receiveOn);
        var (_, entry) = SpawnedTunnels.ParseEndpoints(await near.WaitForLineAsync("connecting to tcp"));
        await near.WaitForLineAsync("link up: connected");
        await far.WaitForLineAsync("link up: accepted");

        var (code, stdout, stderr) = await TunnelProcess.RunAsync(["bench", "--external", entry.ToString(), receiveOn, .. Tiny]);

        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var settings = root.GetProperty("settings");
        Assert.Contains("--external", settings.GetProperty("tunnels").GetString());
        Assert.Equal(entry.ToString(), settings.GetProperty("sendTo").GetString());
        Assert.Equal(receiveOn, settings.GetProperty("receiveOn").GetString());
        var size = Assert.Single(root.GetProperty("results").EnumerateArray());
        AssertPath(size.GetProperty("tunnel"), tunnelCpu: false);
        AssertLatency(root.GetProperty("latency").GetProperty("tunnel"));

        // The datagrams really went through the user's tunnels.
        Assert.False(far.HasExited || near.HasExited);
    }

    [Fact]
    public async Task External_tunnels_that_deliver_nothing_fail_with_one_line_and_exit_1()
    {
        int nobody = FreePort.Udp();
        int receivePort = FreePort.Udp();
        var (code, stdout, stderr) = await TunnelProcess.RunAsync(["bench", "--external", nobody.ToString(), receivePort.ToString(), .. Tiny]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("udp-over-tcp bench: nothing sent to", Assert.Single(stderr));
    }

    [Fact]
    public async Task Table_output_names_both_paths_and_the_latencies()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("bench", "-s", "100", "-d", "0.1", "-r", "1000");
        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        Assert.Contains("plain UDP", stdout);
        Assert.Contains("tunnel", stdout);
        Assert.Contains("delivered/s", stdout);
        Assert.Contains("p999", stdout);
        if (OperatingSystem.IsLinux())
        {
            Assert.Matches(@"^udp-over-tcp \S+ bench: \d+ cores \(\d+\.\d % steal\), ", stdout);
        }
    }

    [SkippableFact]
    public async Task The_sink_gets_its_16_MiB_buffer_with_cap_net_admin_and_the_table_says_when_it_does_not()
    {
        WithoutCapabilities.SkipUnlessPossible();
        long cap = Sysctl.Read("net/core/rmem_max");
        Skip.If(cap >= 16 << 20, "net.core.rmem_max already allows 16 MiB: nothing is capped without CAP_NET_ADMIN");
        string[] args = ["bench", "-s", "64", "-d", "0.1", "-r", "1000"];

        var (code, stdout, stderr) = await TunnelProcess.RunAsync(args);
        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        Assert.Contains("(16,777,216 B receive buffer)", stdout);
        Assert.DoesNotContain("sink: its receive buffer", stdout);

        using var capped = WithoutCapabilities.Start("net_admin", args);
        Assert.Equal(0, await capped.WaitForExitAsync());
        Assert.Empty(capped.Lines);   // no warning per socket: the table says it once
        Assert.Contains($"sink: its receive buffer is {cap.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} B of the 16,777,216 asked for (net.core.rmem_max caps it;", capped.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_options_and_the_external_setup_and_exits_0(string flag)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("bench", flag);
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        foreach (var spec in BenchOptions.Table)
        {
            Assert.Contains(spec.Display, stdout);
        }

        Assert.Contains("bench --external", stdout);
    }

    [Theory]
    [InlineData("--rate", "0")]
    [InlineData("--rate")]
    [InlineData("--duration", "100")]
    [InlineData("--size", "7")]
    [InlineData("--json=1")]
    [InlineData("--io", "fast")]
    [InlineData("--external", "7000")]
    [InlineData("--external", "10.1.1.1:7000", "7001")]
    [InlineData("--external", "7000", "7001", "--io", "portable")]
    [InlineData("--bogus")]
    public async Task Usage_errors_print_one_line_and_a_hint_and_exit_2(params string[] args)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync(["bench", .. args]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(2, stderr.Count);
        Assert.StartsWith("udp-over-tcp: ", stderr[0]);
        Assert.Equal("Try 'udp-over-tcp --help' for more information.", stderr[1]);
    }

    private static void AssertPath(JsonElement path, bool tunnelCpu)
    {
        Assert.Equal(JsonValueKind.Number, path.GetProperty("losslessMegabytesPerSecond").ValueKind);
        Assert.Equal("none", path.GetProperty("limit").GetString());
        Assert.Equal(1, path.GetProperty("trials").GetInt32());
        Assert.True(path.GetProperty("losslessRate").ValueKind is JsonValueKind.Number or JsonValueKind.Null);

        var trial = path.GetProperty("trial");
        Assert.Equal(2000, trial.GetProperty("offeredRate").GetDouble());
        foreach (string field in new[] { "sentRate", "deliveredRate", "megabytesPerSecond", "seconds", "lost", "lossPercent", "sendErrors", "benchCpuSecondsPerMillion" })
        {
            Assert.Equal(JsonValueKind.Number, trial.GetProperty(field).ValueKind);
        }

        Assert.True(trial.GetProperty("sent").GetInt64() > 0);
        Assert.True(trial.GetProperty("delivered").GetInt64() > 0, "nothing was delivered");
        Assert.Equal(0, trial.GetProperty("corrupted").GetInt64());
        Assert.Equal(0, trial.GetProperty("duplicated").GetInt64());
        Assert.Equal(0, trial.GetProperty("reordered").GetInt64());
        Assert.True(trial.GetProperty("passed").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.Equal(tunnelCpu ? JsonValueKind.Number : JsonValueKind.Null, trial.GetProperty("tunnelCpuSecondsPerMillion").ValueKind);
        AssertSteal(trial);

        var all = path.GetProperty("allTrials");
        Assert.Equal(trial.GetProperty("sent").GetInt64(), all.GetProperty("sent").GetInt64());
        Assert.Equal(trial.GetProperty("delivered").GetInt64(), all.GetProperty("delivered").GetInt64());
        Assert.Equal(0, all.GetProperty("corrupted").GetInt64());
        Assert.Equal(0, all.GetProperty("duplicated").GetInt64());
        Assert.Equal(0, all.GetProperty("reordered").GetInt64());
    }

    /// <summary>Steal time is read from /proc/stat: a percentage on Linux, null elsewhere.</summary>
    private static void AssertSteal(JsonElement owner)
    {
        var steal = owner.GetProperty("stealPercent");
        if (OperatingSystem.IsLinux())
        {
            Assert.InRange(steal.GetDouble(), 0, 100);
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, steal.ValueKind);
        }
    }

    private static void AssertLatency(JsonElement latency)
    {
        Assert.Equal(JsonValueKind.Object, latency.ValueKind);
        Assert.True(latency.GetProperty("roundTrips").GetInt32() > 0);
        foreach (string field in new[] { "lost", "p50Microseconds", "p99Microseconds", "p999Microseconds", "maxMicroseconds" })
        {
            Assert.Equal(JsonValueKind.Number, latency.GetProperty(field).ValueKind);
        }

        Assert.True(latency.GetProperty("p50Microseconds").GetDouble() <= latency.GetProperty("p999Microseconds").GetDouble());
    }
}
