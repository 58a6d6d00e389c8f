using System.Text.Json;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published bench, udp-over-tcp-bench, with tiny bounded settings: the JSON has its fields and the tunnel
/// delivered datagrams without corrupting, duplicating or reordering any. Never a speed assertion.
/// </summary>
[EndToEndTest]
public class BenchCommandTests
{
    private static readonly string[] Tiny = ["--size", "64", "--duration", "0.2", "--rate", "2000", "--json"];

    [Theory]
    [InlineData(null)]
    [InlineData("portable")]
    public async Task Spawned_tunnels_deliver_everything_intact_and_the_json_has_every_field(string? io)
    {
        string[] args = io is null ? Tiny : [.. Tiny, "--io", io];
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(args);

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
        Assert.Equal("", settings.GetProperty("tunnelArgs").GetString());
        Assert.False(settings.GetProperty("tls").GetBoolean());
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
    public async Task Tunnel_args_reach_both_tunnel_ends_and_the_report()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync([.. Tiny, "--tunnel-args", "--max-frame 2000 --tcp-nodelay"]);
        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("--max-frame 2000 --tcp-nodelay", json.RootElement.GetProperty("settings").GetProperty("tunnelArgs").GetString());

        // The tunnel refuses an option it does not know: the bench says which end and quotes it.
        (code, stdout, stderr) = await TunnelProcess.RunBenchAsync([.. Tiny, "--tunnel-args", "--no-such-option"]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr);
        Assert.StartsWith("udp-over-tcp-bench: the listen tunnel exited with code 2; it said: ", line);
        Assert.Contains("--no-such-option", line);
    }

    [Fact]
    public async Task A_killed_bench_takes_its_tunnels_with_it()
    {
        // Many short trials, so the bench is still busy when the first tunnel trial is reported (-v).
        using var bench = TunnelProcess.StartBench("--size", "64,100,200,300,400,500,600,700,800,900", "--duration", "0.2", "--rate", "1000", "-v");
        await bench.WaitForLineAsync(" tunnel trial 1:");
        var tunnels = ProcessExit.ChildrenOf(bench.Id);
        Assert.Equal(2, tunnels.Count);
        var exits = tunnels.Select(ProcessExit.Watch).ToList();
        try
        {
            bench.Signal(9);   // SIGKILL: no clean-up code of the bench's runs
            // The thread that started them died with the bench: the kernel sends each its parent-death
            // signal, SIGTERM (setpriv --pdeathsig), and both stop cleanly.
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
        var (tcp, _) = SpawnedTunnels.ParseEndpoints(await far.WhenReadyAsync());
        using var near = TunnelProcess.Start("-t", tcp.ToString(), "-u", "127.0.0.1:0", "-p", receiveOn);
        var (_, entry) = SpawnedTunnels.ParseEndpoints(await near.WhenReadyAsync());
        await near.WaitForLineAsync("link up: connected");
        await far.WaitForLineAsync("link up: accepted");

        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(["--external", entry.ToString(), receiveOn, .. Tiny]);

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
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(["--external", nobody.ToString(), receivePort.ToString(), .. Tiny]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("udp-over-tcp-bench: nothing sent to", Assert.Single(stderr));
    }

    [Fact]
    public async Task Table_output_names_both_paths_and_the_latencies()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync("-s", "100", "-d", "0.1", "-r", "1000");
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

    [NeedsRoot]
    [SkippableFact]
    public async Task The_sink_gets_its_16_MiB_buffer_with_cap_net_admin_and_the_table_says_when_it_does_not()
    {
        WithoutCapabilities.SkipUnlessPossible();
        long cap = Sysctl.Read("net/core/rmem_max");
        Skip.If(cap >= 16 << 20, "net.core.rmem_max already allows 16 MiB: nothing is capped without CAP_NET_ADMIN");
        string[] args = ["-s", "64", "-d", "0.1", "-r", "1000"];

        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(args);
        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        Assert.Contains("(16,777,216 B receive buffer)", stdout);
        Assert.DoesNotContain("sink: its receive buffer", stdout);

        using var capped = WithoutCapabilities.StartBench("net_admin", args);
        Assert.Equal(0, await capped.WaitForExitAsync());
        Assert.Empty(capped.Lines);   // no warning per socket: the table says it once
        Assert.Contains($"sink: its receive buffer is {cap.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} B of the 16,777,216 asked for (net.core.rmem_max caps it;", capped.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_options_and_the_external_setup_and_exits_0(string flag)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(flag);
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        foreach (var spec in BenchOptions.Table)
        {
            Assert.Contains(spec.Display, stdout);
        }

        Assert.Contains("udp-over-tcp-bench --external", stdout);
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var (code, stdout, _) = await TunnelProcess.RunBenchAsync("--version");
        Assert.Equal(0, code);
        Assert.Equal($"udp-over-tcp-bench {HelpText.Version}\n", stdout);
    }

    [Fact]
    public async Task Without_a_tunnel_beside_it_the_bench_says_so_and_exits_1_and_tunnel_names_another()
    {
        await AloneInAFolder(PublishedBinary.BenchPath, async bench =>
        {
            var (code, stdout, stderr) = await TunnelProcess.RunProgramAsync(bench, "-s", "64", "-d", "0.1", "-r", "1000");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal($"udp-over-tcp-bench: cannot find the tunnel binary {Path.Combine(Path.GetDirectoryName(bench)!, "udp-over-tcp")}: the bench starts the udp-over-tcp beside it (or the one --tunnel PATH names)", Assert.Single(stderr));

            (code, stdout, stderr) = await TunnelProcess.RunProgramAsync(bench, "-s", "64", "-d", "0.1", "-r", "1000", "--tunnel", PublishedBinary.Path);
            Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
            Assert.Contains("2 child processes on loopback", stdout);
        });
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task The_tunnels_bench_command_runs_the_bench_beside_it(string flag)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("bench", flag);
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.StartsWith($"udp-over-tcp-bench {HelpText.Version} - ", stdout);
        Assert.Equal((await TunnelProcess.RunBenchAsync(flag)).Stdout, stdout);
    }

    [Fact]
    public async Task The_tunnels_bench_command_passes_the_exit_code_and_messages_through()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("bench", "--size", "3");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(["udp-over-tcp-bench: --size: '3' is not a size from 8 to 65507", "Try 'udp-over-tcp-bench --help' for more information."], stderr);

        int nobody = FreePort.Udp();
        int receivePort = FreePort.Udp();
        (code, stdout, stderr) = await TunnelProcess.RunAsync(["bench", "--external", nobody.ToString(), receivePort.ToString(), .. Tiny]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("udp-over-tcp-bench: nothing sent to", Assert.Single(stderr));
    }

    [Fact]
    public async Task The_tunnels_bench_command_without_the_bench_beside_it_says_so_and_exits_1()
    {
        await AloneInAFolder(PublishedBinary.Path, async tunnel =>
        {
            var (code, stdout, stderr) = await TunnelProcess.RunProgramAsync(tunnel, "bench", "--help");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal($"udp-over-tcp: cannot run the bench, {Path.Combine(Path.GetDirectoryName(tunnel)!, "udp-over-tcp-bench")}: No such file or directory (it is published beside udp-over-tcp)", Assert.Single(stderr));
        });
    }

    /// <summary>Runs <paramref name="test"/> with a copy of <paramref name="binary"/> (same name) alone in a new folder.</summary>
    private static async Task AloneInAFolder(string binary, Func<string, Task> test)
    {
        var folder = Directory.CreateTempSubdirectory("uot-alone-");
        try
        {
            string copy = Path.Combine(folder.FullName, Path.GetFileName(binary));
            File.Copy(binary, copy);
            await test(copy);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
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
