using System.Runtime.InteropServices;
using UdpOverTcp.Bench;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The bench's posix_spawn child: stderr lines, CPU time, exit status, and killed and reaped on dispose.</summary>
public partial class ChildProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public void Reads_stderr_lines_and_is_killed_and_reaped_on_dispose()
    {
        int pid;
        using (var child = new ChildProcess("test", "/bin/sh", ["-c", "echo hello >&2; exec sleep 30"], NoEnvironment))
        {
            pid = child.Id;
            Assert.Equal("hello", child.WaitForLine("hell", Timeout));
            Assert.True(Kill(pid, 0) == 0, "the child should be running");
            var cpu = child.CpuTime;
            if (OperatingSystem.IsLinux())
            {
                Assert.NotNull(cpu);
                Assert.True(cpu >= TimeSpan.Zero, $"cpu {cpu}");
            }
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
        using var child = new ChildProcess("test", "/bin/sh", ["-c", "echo bye >&2; exit 3"], NoEnvironment);
        var e = Assert.Throws<BenchException>(() => child.WaitForLine("listening on", Timeout));
        Assert.Contains("the test tunnel exited with code 3", e.Message);
        Assert.Contains("it said: bye", e.Message);
    }

    [Fact]
    public void Lines_split_across_writes_crlf_and_a_last_line_without_newline_are_read_whole()
    {
        using var child = new ChildProcess("test", "/bin/sh", ["-c", "printf 'fir' >&2; sleep 0.1; printf 'st\\r\\nsecond\\nlast' >&2; exit 0"], NoEnvironment);
        Assert.Equal("first", child.WaitForLine("fir", Timeout));
        Assert.Equal("second", child.WaitForLine("sec", Timeout));
        Assert.Equal("last", child.WaitForLine("last", Timeout));
    }

    [Fact]
    public void The_extra_environment_reaches_the_child_with_the_inherited_one()
    {
        var extra = new Dictionary<string, string> { ["UDP_OVER_TCP_CHILD_TEST"] = "from the bench" };
        using var child = new ChildProcess("test", "/bin/sh", ["-c", "echo \"[$UDP_OVER_TCP_CHILD_TEST] [$PATH]\" >&2; exec sleep 30"], extra);
        string line = child.WaitForLine("[", Timeout);
        Assert.Equal($"[from the bench] [{Environment.GetEnvironmentVariable("PATH")}]", line);
    }

    [Fact]
    public void Stdout_is_dev_null_stdin_and_stderr_are_pipes_and_the_pipes_do_not_leak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;   // read through /proc
        }

        // Two at once: the second must not inherit the first one's pipe. (Descriptors this test host
        // itself inherited without close-on-exec are passed on, as by any spawn: only ours are checked.)
        using var first = new ChildProcess("first", "/bin/sh", ["-c", "echo up >&2; exec sleep 30"], NoEnvironment);
        using var second = new ChildProcess("second", "/bin/sh", ["-c", "echo up >&2; exec sleep 30"], NoEnvironment);
        var descriptors = new List<Dictionary<string, string?>>();
        foreach (var child in new[] { first, second })
        {
            child.WaitForLine("up", Timeout);
            WaitUntilRunning(child.Id, "sleep");
            string directory = $"/proc/{child.Id}/fd";
            descriptors.Add(Directory.GetFileSystemEntries(directory).ToDictionary(path => Path.GetFileName(path), path => new FileInfo(path).LinkTarget));
        }

        string?[] pipes = [descriptors[0]["0"], descriptors[0]["2"], descriptors[1]["0"], descriptors[1]["2"]];
        Assert.Equal(4, pipes.Distinct().Count());
        foreach (var open in descriptors)
        {
            Assert.StartsWith("pipe:", open["0"]);
            Assert.Equal("/dev/null", open["1"]);
            Assert.StartsWith("pipe:", open["2"]);
            Assert.Equal(2, open.Values.Count(target => pipes.Contains(target)));
        }
    }

    [Fact]
    public void A_program_that_cannot_be_started_is_a_bench_failure()
    {
        var e = Assert.Throws<BenchException>(() => new ChildProcess("test", "/nonexistent/udp-over-tcp", [], NoEnvironment));
        Assert.Contains("/nonexistent/udp-over-tcp", e.Message);
    }

    [Theory]
    [InlineData("1234 (udp-over-tcp) S 1 1234 1234 0 -1 4194560 500 0 0 0 17 4 0 0 20 0 9 0 100 0 0", 21L)]
    [InlineData("1234 (a) b (c) R 1 1234 1234 0 -1 4194560 500 0 0 0 170 40 0 0 20 0 9 0 100 0 0", 210L)]
    [InlineData("1234 (short) S 1 2", null)]
    [InlineData("garbage", null)]
    public void Cpu_ticks_are_utime_plus_stime_counted_after_the_command_name(string stat, long? ticks)
    {
        Assert.Equal(ticks, ChildProcess.ParseCpuTicks(stat));
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
