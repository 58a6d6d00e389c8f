using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The published binary (or the published bench, or another program) running as a child process. Its stderr log lines are collected so a test
/// can await the line that says a state was reached ("link up") instead of sleeping. A tunnel started here also gets a
/// <see cref="NotifySocket"/> as NOTIFY_SOCKET, so a test awaits its readiness (<see cref="WhenReadyAsync"/>) as systemd would.
/// </summary>
public sealed partial class TunnelProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stdout = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NotifySocket? _notify;
    private TaskCompletionSource _newLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="commandLine">The program and its arguments.</param>
    /// <param name="notify">Whether to pass NOTIFY_SOCKET: the program is (or becomes) the tunnel.</param>
    /// <param name="abstractNotifySocket">NOTIFY_SOCKET as an @abstract name rather than a path (which a chroot would not see).</param>
    private TunnelProcess(string[] commandLine, IReadOnlyDictionary<string, string>? environment = null, bool notify = false, bool abstractNotifySocket = false)
    {
        var start = new ProcessStartInfo(commandLine[0])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in commandLine.AsSpan(1))
        {
            start.ArgumentList.Add(arg);
        }

        // Never inherited from the test run (under systemd, say): only this process's own socket, or none.
        start.Environment.Remove(NotifySocketVariable);
        if (notify)
        {
            _notify = new NotifySocket(abstractNotifySocket);
            start.Environment[NotifySocketVariable] = _notify.Address;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderrClosed);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stdoutClosed.TrySetResult();
                return;
            }

            lock (_stdout)
            {
                _stdout.Append(e.Data).Append('\n');
            }
        };
        _process.Start();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>The variable a Type=notify service finds its notification socket in.</summary>
    public const string NotifySocketVariable = "NOTIFY_SOCKET";

    /// <summary>Starts the published binary with <paramref name="args"/>.</summary>
    public static TunnelProcess Start(params string[] args) => new([PublishedBinary.Path, .. args], notify: true);

    /// <summary>Starts the published binary with extra environment variables (which may override, or empty, NOTIFY_SOCKET).</summary>
    public static TunnelProcess StartWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new([PublishedBinary.Path, .. args], environment, notify: true);

    /// <summary>Starts the published binary inside a network namespace.</summary>
    public static TunnelProcess StartIn(NetworkNamespace host, params string[] args) => new(host.Wrap(PublishedBinary.Path, args), notify: true);

    /// <summary>
    /// Starts a command line that runs a tunnel binary through a wrapper (setpriv, qemu, chroot ...), with
    /// NOTIFY_SOCKET: a path, or an @abstract name, which a chroot sees too (not a network namespace).
    /// </summary>
    public static TunnelProcess StartWrapped(string[] commandLine, bool abstractNotifySocket = false) =>
        new(commandLine, notify: true, abstractNotifySocket: abstractNotifySocket);

    /// <summary>Starts the published bench, udp-over-tcp-bench, with <paramref name="args"/>.</summary>
    public static TunnelProcess StartBench(params string[] args) => new([PublishedBinary.BenchPath, .. args]);

    /// <summary>Starts any program, e.g. ssh, whose stderr lines are then awaited the same way.</summary>
    public static TunnelProcess StartProgram(params string[] commandLine) => new(commandLine);

    /// <summary>Starts any program with extra environment variables (e.g. SSL_CERT_FILE for a peer's TLS roots), or none when null.</summary>
    public static TunnelProcess StartProgramWithEnvironment(IReadOnlyDictionary<string, string>? environment, params string[] commandLine) =>
        new(commandLine, environment);

    /// <summary>Runs to completion and returns the exit code with everything printed.</summary>
    public static Task<(int ExitCode, string Stdout, IReadOnlyList<string> Stderr)> RunAsync(params string[] args) =>
        RunProgramAsync([PublishedBinary.Path, .. args]);

    /// <summary>Runs the published bench to completion, as <see cref="RunAsync"/>.</summary>
    public static Task<(int ExitCode, string Stdout, IReadOnlyList<string> Stderr)> RunBenchAsync(params string[] args) =>
        RunProgramAsync([PublishedBinary.BenchPath, .. args]);

    /// <summary>Runs any program to completion, as <see cref="RunAsync"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, IReadOnlyList<string> Stderr)> RunProgramAsync(params string[] commandLine)
    {
        using var p = new TunnelProcess(commandLine);
        int code = await p.WaitForExitAsync();
        return (code, p.Stdout, p.Lines);
    }

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Waits for the <paramref name="occurrence"/>-th stderr line containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForLineAsync(string text, int occurrence = 1)
    {
        var deadline = Task.Delay(Guard.Timeout);
        while (true)
        {
            Task next;
            lock (_lines)
            {
                var matches = _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();
                if (matches.Count >= occurrence)
                {
                    return matches[occurrence - 1];
                }

                next = _newLine.Task;
            }

            if (await Task.WhenAny(next, deadline, _stderrClosed.Task) != next)
            {
                lock (_lines)
                {
                    var matches = _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();
                    if (matches.Count >= occurrence)
                    {
                        return matches[occurrence - 1];
                    }
                }

                throw new TimeoutException($"no line #{occurrence} containing '{text}' (exited: {_process.HasExited}); stderr so far:\n{string.Join('\n', Lines)}");
            }
        }
    }

    /// <summary>
    /// Waits until the tunnel says it is ready (READY=1 on its NOTIFY_SOCKET: sockets bound, listening or
    /// dialing) and returns its STATUS=, which is its start-up line ("listening on tcp 127.0.0.1:PORT, udp ...").
    /// Fails at once if the process ends first, with its stderr.
    /// </summary>
    public async Task<string> WhenReadyAsync()
    {
        var notify = _notify ?? throw new InvalidOperationException("this process was started without NOTIFY_SOCKET (StartProgram): await a log line instead");
        string message = await notify.WaitForAsync("READY=1", _process.WaitForExitAsync(), () => $"exited: {_process.HasExited}; stderr so far:\n{string.Join('\n', Lines)}");
        return NotifySocket.ValueOf(message, "STATUS") ?? "";
    }

    /// <summary>The notifications the process sent so far (empty when it was started without NOTIFY_SOCKET).</summary>
    public IReadOnlyList<string> Notifications => _notify?.Messages ?? [];

    /// <summary>Waits for a notification holding <paramref name="assignment"/>, e.g. "STOPPING=1", and returns it whole.</summary>
    public Task<string> WaitForNotificationAsync(string assignment) =>
        (_notify ?? throw new InvalidOperationException("this process was started without NOTIFY_SOCKET")).WaitForAsync(assignment);

    /// <summary>Asks for the statistics line (SIGUSR1) and returns it.</summary>
    public async Task<string> RequestStatsAsync()
    {
        int before = Lines.Count(l => l.Contains("stats:", StringComparison.Ordinal));
        Signal(Signals.LinuxUser1);
        return await WaitForLineAsync("stats:", occurrence: before + 1);
    }

    /// <summary>Sends SIGTERM, as systemd or `kill` would.</summary>
    public void Terminate() => _ = Kill(_process.Id, 15);

    /// <summary>Sends any signal, by number (e.g. 1 SIGHUP, 10 SIGUSR1 on Linux).</summary>
    public void Signal(int signal) => _ = Kill(_process.Id, signal);

    public int Id => _process.Id;

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().Within("the process to exit");
        await Task.WhenAll(_stderrClosed.Task, _stdoutClosed.Task).Within("the process's output to close");
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        _notify?.Dispose();
    }

    private void OnLine(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        TaskCompletionSource woken;
        lock (_lines)
        {
            _lines.Add(line);
            woken = _newLine;
            _newLine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
