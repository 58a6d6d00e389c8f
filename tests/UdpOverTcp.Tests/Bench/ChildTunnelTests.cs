using System.Runtime.InteropServices;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The bench's child process: stderr lines, CPU time, exit status, killed and reaped on dispose, and started by a thread that outlives it.</summary>
[EndToEndTest]
public partial class ChildTunnelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public void Reads_stderr_lines_and_is_killed_and_reaped_on_dispose()
    {
        int pid;
        using (var child = new ChildTunnel("test", "/bin/sh", ["-c", "echo hello >&2; exec sleep 30"], NoEnvironment))
        {
            pid = child.Id;
            Assert.Equal("hello", child.WaitForLine("hell", Timeout));
            Assert.True(Kill(pid, 0) == 0, "the child should be running");
            var cpu = child.CpuTime;
            Assert.NotNull(cpu);
            Assert.True(cpu >= TimeSpan.Zero, $"cpu {cpu}");
        }

        // Reaped, not a zombie: no such process at all.
        Assert.Equal(-1, Kill(pid, 0));
        if (OperatingSystem.IsLinux())
        {
            Assert.False(Directory.Exists($"/proc/{pid}"));
        }
    }

    [Fact]
    public void A_child_that_exits_at_once_reports_its_exit_code_and_what_it_said()
    {
        using var child = new ChildTunnel("test", "/bin/sh", ["-c", "echo bye >&2; exit 3"], NoEnvironment);
        var e = Assert.Throws<BenchException>(() => child.WaitForLine("listening on", Timeout));
        Assert.Contains("the test tunnel exited with code 3", e.Message);
        Assert.Contains("it said: bye", e.Message);
    }

    [Fact]
    public void Lines_split_across_writes_crlf_and_a_last_line_without_newline_are_read_whole()
    {
        using var child = new ChildTunnel("test", "/bin/sh", ["-c", "printf 'fir' >&2; sleep 0.1; printf 'st\\r\\nsecond\\nlast' >&2; exit 0"], NoEnvironment);
        Assert.Equal("first", child.WaitForLine("fir", Timeout));
        Assert.Equal("second", child.WaitForLine("sec", Timeout));
        Assert.Equal("last", child.WaitForLine("last", Timeout));
    }

    [Fact]
    public void Waiting_past_the_lines_already_read_finds_only_a_later_one()
    {
        using var child = new ChildTunnel("test", "/bin/sh", ["-c", "echo 'stats: first' >&2; sleep 0.2; echo 'stats: second' >&2; exec sleep 30"], NoEnvironment);
        Assert.Equal("stats: first", child.WaitForLine("stats: ", Timeout));
        Assert.Equal("stats: second", child.WaitForLine("stats: ", Timeout, skip: 1));
        Assert.Throws<BenchException>(() => child.WaitForLine("stats: ", TimeSpan.FromMilliseconds(300), skip: 2));
    }

    [Fact]
    public void Statistics_are_asked_for_with_sigusr1_and_the_next_stats_line_is_the_answer()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;   // SIGUSR1
        }

        using var child = new ChildTunnel("test", "/bin/sh", ["-c", "n=0; trap 'n=$((n+1)); echo \"stats: answer $n\" >&2' USR1; echo 'stats: before' >&2; while :; do sleep 0.05; done"], NoEnvironment);
        child.WaitForLine("stats: before", Timeout);
        Assert.Equal("stats: answer 1", child.RequestStatistics(Timeout));
        Assert.Equal("stats: answer 2", child.RequestStatistics(Timeout));
    }

    [Fact]
    public void The_extra_environment_reaches_the_child_with_the_inherited_one()
    {
        var extra = new Dictionary<string, string> { ["UDP_OVER_TCP_CHILD_TEST"] = "from the bench" };
        using var child = new ChildTunnel("test", "/bin/sh", ["-c", "echo \"[$UDP_OVER_TCP_CHILD_TEST] [$PATH]\" >&2; exec sleep 30"], extra);
        string line = child.WaitForLine("[", Timeout);
        Assert.Equal($"[from the bench] [{Environment.GetEnvironmentVariable("PATH")}]", line);
    }

    [Fact]
    public void NOTIFY_SOCKET_is_not_passed_on_so_a_tunnel_never_tells_systemd_it_is_ready_for_the_bench()
    {
        string? before = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", "@uot-bench-under-systemd");   // children started elsewhere meanwhile drop or replace it too
        try
        {
            using var child = new ChildTunnel("test", "/bin/sh", ["-c", "echo \"[${NOTIFY_SOCKET-unset}]\" >&2; exec sleep 30"], NoEnvironment);
            Assert.Equal("[unset]", child.WaitForLine("[", Timeout));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", before);
        }
    }

    [Fact]
    public void Stdout_and_stderr_are_pipes_of_its_own_that_do_not_leak_into_the_next_child()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;   // read through /proc
        }

        // Two at once: the second must not inherit the first one's pipes. (Descriptors this test host
        // itself inherited without close-on-exec are passed on, as by any spawn: only ours are checked.)
        using var first = new ChildTunnel("first", "/bin/sh", ["-c", "echo up >&2; exec sleep 30"], NoEnvironment);
        using var second = new ChildTunnel("second", "/bin/sh", ["-c", "echo up >&2; exec sleep 30"], NoEnvironment);
        var descriptors = new List<Dictionary<string, string?>>();
        foreach (var child in new[] { first, second })
        {
            child.WaitForLine("up", Timeout);
            WaitUntilRunning(child.Id, "sleep");
            string directory = $"/proc/{child.Id}/fd";
            descriptors.Add(Directory.GetFileSystemEntries(directory).ToDictionary(path => Path.GetFileName(path), path => new FileInfo(path).LinkTarget));
        }

        string?[] pipes = [descriptors[0]["1"], descriptors[0]["2"], descriptors[1]["1"], descriptors[1]["2"]];
        Assert.Equal(4, pipes.Distinct().Count());
        foreach (var open in descriptors)
        {
            Assert.StartsWith("pipe:", open["1"]);
            Assert.StartsWith("pipe:", open["2"]);
            Assert.Equal(2, open.Values.Count(target => pipes.Contains(target)));
        }
    }

    [Fact]
    public void A_program_that_cannot_be_started_is_a_bench_failure_that_names_it()
    {
        // Through setpriv (Linux) the start succeeds and setpriv then says it cannot run the program.
        var e = Assert.Throws<BenchException>(() =>
        {
            using var child = new ChildTunnel("test", "/nonexistent/udp-over-tcp", [], NoEnvironment);
            child.WaitForLine("listening on", Timeout);
        });
        Assert.Contains("/nonexistent/udp-over-tcp", e.Message);
    }

    [Fact]
    public void The_child_outlives_the_thread_that_asked_for_it()
    {
        // On Linux the child asks the kernel (through setpriv) for SIGTERM when its parent thread ends:
        // had this short-lived thread forked it, the child would be stopped when the thread returned.
        // The thread returns only once the child runs its program, past setpriv's request.
        ChildTunnel? child = null;
        var starter = new Thread(() =>
        {
            child = new ChildTunnel("test", "/bin/sh", ["-c", "echo up >&2; exec sleep 30"], NoEnvironment);
            child.WaitForLine("up", Timeout);
        });
        starter.Start();
        starter.Join();
        using (child)
        {
            WaitUntilRunning(child!.Id, "sleep");
            Thread.Sleep(300);
            Assert.True(Kill(child.Id, 0) == 0 && File.ReadAllText($"/proc/{child.Id}/stat").Split(' ')[2] != "Z", "the child should still be running");
        }
    }

    /// <summary>Waits until the shell has exec'd <paramref name="program"/>, whose descriptors are then the child's for good.</summary>
    private static void WaitUntilRunning(int pid, string program)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!File.ReadAllText($"/proc/{pid}/comm").StartsWith(program, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{pid} never ran {program}");
            Thread.Sleep(10);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
