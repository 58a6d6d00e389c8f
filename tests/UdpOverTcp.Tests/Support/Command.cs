using System.Diagnostics;

namespace UdpOverTcp.Tests.Support;

/// <summary>A short command (ip, nft, ss, nsenter, ssh-keygen) run to completion, for set-up or to read the system's state.</summary>
public static class Command
{
    /// <summary>Runs <paramref name="program"/> and returns its exit code and what it printed.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();   // both pipes at once: a full one must not stall the other
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Runs <paramref name="program"/> and returns its stdout; a failure throws, with its stderr and <paramref name="hint"/> (what to install or why).</summary>
    public static string RunChecked(string hint, string program, params string[] args)
    {
        var (exitCode, stdout, stderr) = Run(program, args);
        return exitCode == 0 ? stdout
            : throw new InvalidOperationException($"'{program} {string.Join(' ', args)}' exited {exitCode}: {stderr.Trim()} ({hint})");
    }
}
