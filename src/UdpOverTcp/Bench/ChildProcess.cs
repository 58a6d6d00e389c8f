using System.Diagnostics;

namespace UdpOverTcp.Bench;

/// <summary>
/// A child process whose stderr lines are collected, so the bench can wait for the log line that
/// says a state was reached ("listening on", "link up") instead of sleeping, and quote the last
/// lines when the child fails. Killed on dispose.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    /// <summary>Lines kept for error messages; the children log per link event, not per datagram, so this is plenty.</summary>
    private const int MaxLines = 200;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly string _name;

    public ChildProcess(string name, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        _name = name;
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, _) => { };
        _process.Start();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>User + system time the child has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Returns the first stderr line containing <paramref name="text"/>; throws <see cref="BenchException"/> if none comes in time.</summary>
    public string WaitForLine(string text, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_lines)
        {
            while (true)
            {
                foreach (string line in _lines)
                {
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }

                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || _process.HasExited)
                {
                    string what = _process.HasExited ? $"exited with code {_process.ExitCode}" : $"said no '{text}' within {timeout.TotalSeconds:0} s";
                    string said = _lines.Count == 0 ? "nothing" : string.Join(" | ", _lines.TakeLast(3));
                    throw new BenchException($"the {_name} tunnel {what}; it said: {said}");
                }

                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(100, left * 1000.0 / Stopwatch.Frequency)));
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.RemoveAt(0);
            }

            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }
}
