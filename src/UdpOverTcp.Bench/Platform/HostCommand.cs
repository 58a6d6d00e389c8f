using System.ComponentModel;
using System.Diagnostics;
using UdpOverTcp.Bench.Cli;

namespace UdpOverTcp.Bench.Platform;

/// <summary>
/// The system's own programs the bench runs to completion (ip, tc, through nsenter), and finding
/// programs on PATH. A command that fails is a <see cref="BenchException"/> that quotes it and what
/// it said, so the user sees which step of a set-up went wrong.
/// </summary>
public static class HostCommand
{
    /// <summary>A set-up command that has not ended by then is stuck (ip and tc take milliseconds).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> and returns its stdout; throws when it fails.</summary>
    public static string Run(string program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        string commandLine = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new BenchException($"cannot run {commandLine}: {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill();
                throw new BenchException($"{commandLine} did not end within {Timeout.TotalSeconds:0} s");
            }

            if (process.ExitCode != 0)
            {
                string said = stderr.Result.Trim().ReplaceLineEndings(" | ");
                throw new BenchException($"{commandLine} failed (exit {process.ExitCode}): {(said.Length == 0 ? "it said nothing" : said)}");
            }

            return stdout.Result;
        }
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? Find(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
