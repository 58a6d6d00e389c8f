using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>
/// A tunnel end the bench started: a child process whose stderr lines are collected, so the bench can
/// wait for the log line that says a state was reached ("listening on", "link up") instead of
/// sleeping, and quote the last lines when the child fails. Killed on dispose.
/// </summary>
/// <remarks>
/// The child must also end when the bench ends without disposing it (killed, by SIGKILL too), or it
/// would keep its ports and a share of the cores. On Linux it is started as
/// <c>setpriv --pdeathsig TERM -- TUNNEL ARGS</c> (util-linux, essential on Debian): setpriv asks the
/// kernel for SIGTERM, the tunnel's clean stop, when the child's parent ends, then becomes the
/// tunnel. The kernel's "parent" is the thread that forked the child, which is the thread that calls
/// Process.Start; so every child is started from <see cref="Launcher"/>, one thread that lives as
/// long as the bench, never from a pool thread that may retire while the tunnels run. Two limits:
/// the kernel clears the signal when it runs a binary with file capabilities or set-user-ID
/// (<c>setcap cap_net_admin+ep udp-over-tcp</c>), and a bench killed in the millisecond between
/// the fork and setpriv's request leaves that child running.
/// Elsewhere (macOS, Windows, a Linux without setpriv) the children are killed when the bench is
/// done, interrupted, or fails with an unhandled exception; a killed bench leaves them running.
/// </remarks>
public sealed class ChildTunnel : IDisposable
{
    /// <summary>Lines kept for error messages; the children log per link event, not per datagram, so this is plenty.</summary>
    private const int MaxLines = 200;

    /// <summary>How long Dispose waits for the killed child to be reaped.</summary>
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(5);

    /// <summary>setpriv on PATH, on Linux; null: the children get no parent-death signal.</summary>
    private static readonly string? Setpriv = OperatingSystem.IsLinux() ? HostCommand.Find("setpriv") : null;

    /// <summary>Children not disposed yet, killed if the bench ends abnormally (the best effort where there is no setpriv).</summary>
    private static readonly ConcurrentDictionary<ChildTunnel, bool> Running = new();

    private static int s_warnedNoSetpriv;

    private readonly Process _process;
    private readonly Lock _state = new();
    private readonly string _name;
    private readonly List<string> _lines = [];

    /// <summary>Lines read so far, including those no longer kept (guarded by <see cref="_lines"/>).</summary>
    private long _linesRead;

    /// <summary>Set at end of file on the child's stderr (guarded by <see cref="_lines"/>).</summary>
    private bool _stderrClosed;

    private TimeSpan? _lastCpuTime;
    private bool _disposed;

    static ChildTunnel()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillRunning();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillRunning();
    }

    public ChildTunnel(string name, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        _name = name;
        var start = new ProcessStartInfo
        {
            FileName = Setpriv ?? program,
            UseShellExecute = false,
            RedirectStandardError = true,
            // The tunnels print nothing on stdout; whatever they might is kept out of the bench's (--json).
            RedirectStandardOutput = true,
        };
        if (Setpriv is not null)
        {
            foreach (string arg in (ReadOnlySpan<string>)["--pdeathsig", "TERM", "--", program])
            {
                start.ArgumentList.Add(arg);
            }
        }
        else if (OperatingSystem.IsLinux() && Interlocked.Exchange(ref s_warnedNoSetpriv, 1) == 0)
        {
            Console.Error.WriteLine("udp-over-tcp-bench: setpriv (util-linux) is not on PATH: the tunnels are stopped when the bench ends, but not if it is killed");
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A bench run as a Type=notify service must not have its tunnels tell systemd they are ready for it.
        start.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, _) => { };
        try
        {
            Launcher.Run(() => _process.Start());
        }
        catch (Win32Exception e)
        {
            _process.Dispose();
            throw new BenchException($"cannot start {start.FileName}: {e.Message}");
        }

        Running[this] = true;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>The child's process id (setpriv's, which becomes the tunnel: the same process).</summary>
    public int Id => _process.Id;

    /// <summary>User + system time the child has used so far; null if it could not be read yet.</summary>
    public TimeSpan? CpuTime
    {
        get
        {
            // Once the child has exited, the last reading stands.
            lock (_state)
            {
                try
                {
                    if (!_disposed)
                    {
                        _lastCpuTime = _process.TotalProcessorTime;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
                {
                }

                return _lastCpuTime;
            }
        }
    }

    /// <summary>
    /// Returns the first stderr line containing <paramref name="text"/> (among the lines read after the
    /// first <paramref name="skip"/>); throws <see cref="BenchException"/> if none comes in time.
    /// </summary>
    public string WaitForLine(string text, TimeSpan timeout, long skip = 0)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_lines)
        {
            while (true)
            {
                long first = _linesRead - _lines.Count;
                for (int i = (int)Math.Max(0, skip - first); i < _lines.Count; i++)
                {
                    if (_lines[i].Contains(text, StringComparison.Ordinal))
                    {
                        return _lines[i];
                    }
                }

                // The end of its stderr is the child's exit (the tunnels never close it themselves).
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || _stderrClosed)
                {
                    string what = _stderrClosed && _process.WaitForExit(ReapTimeout)
                        ? $"exited with code {_process.ExitCode}"
                        : $"said no '{text}' within {timeout.TotalSeconds:0} s";
                    string said = _lines.Count == 0 ? "nothing" : string.Join(" | ", _lines.GetRange(Math.Max(0, _lines.Count - 3), Math.Min(3, _lines.Count)));
                    throw new BenchException($"the {_name} tunnel {what}; it said: {said}");
                }

                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(100, left * 1000.0 / Stopwatch.Frequency)));
            }
        }
    }

    /// <summary>
    /// Asks the tunnel for its statistics line (SIGUSR1, Linux) and returns it: "... stats: ...; udp->tcp
    /// received N datagrams ..., dropped N no-link N backpressure ...". Only once it is running: before the
    /// tunnel has its handler, the signal would end it.
    /// </summary>
    public string RequestStatistics(TimeSpan timeout)
    {
        long read;
        lock (_lines)
        {
            read = _linesRead;
        }

        if (LinuxCalls.Kill(Id, LinuxCalls.SIGUSR1) != 0)
        {
            throw new BenchException($"the {_name} tunnel cannot be signalled: errno {Marshal.GetLastPInvokeError()}");
        }

        return WaitForLine("stats: ", timeout, skip: read);
    }

    public void Dispose()
    {
        lock (_state)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Running.TryRemove(this, out _);
        Kill();
        _ = _process.WaitForExit(ReapTimeout);
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already exited.
        }
    }

    private static void KillRunning()
    {
        foreach (var child in Running.Keys)
        {
            child.Kill();
        }
    }

    private void OnLine(string? line)
    {
        lock (_lines)
        {
            if (line is null)
            {
                _stderrClosed = true;
            }
            else
            {
                if (_lines.Count == MaxLines)
                {
                    _lines.RemoveAt(0);
                }

                _lines.Add(line);
                _linesRead++;
            }

            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>The one thread that starts children, alive as long as the bench (see the remarks on <see cref="ChildTunnel"/>).</summary>
    private static class Launcher
    {
        private static readonly BlockingCollection<Action> Work = [];

        static Launcher()
        {
            new Thread(() =>
            {
                foreach (var work in Work.GetConsumingEnumerable())
                {
                    work();
                }
            })
            {
                IsBackground = true,
                Name = "tunnel launcher",
            }.Start();
        }

        /// <summary>Runs <paramref name="start"/> on the launcher thread and waits for it; its exception is rethrown here.</summary>
        public static void Run(Action start)
        {
            ExceptionDispatchInfo? error = null;
            using var done = new ManualResetEventSlim();
            Work.Add(() =>
            {
                try
                {
                    start();
                }
                catch (Exception e)
                {
                    error = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    done.Set();
                }
            });
            done.Wait();
            error?.Throw();
        }
    }
}
