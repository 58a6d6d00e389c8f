using System.Runtime.InteropServices;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>
/// <c>udp-over-tcp bench ARGS</c> runs <c>udp-over-tcp-bench ARGS</c>, the bench program published
/// beside this one, so the old command keeps working. On Unix this process becomes the bench (execv:
/// the same process id, and the bench's exit code is the command's); nothing of the bench is in this
/// binary. Not System.Diagnostics.Process: it would cost the tunnel binary more than the whole alias.
/// </summary>
public static unsafe partial class BenchAlias
{
    public const string BenchProgram = "udp-over-tcp-bench";

    /// <summary>Returns only when the bench could not be run.</summary>
    /// <param name="args">The arguments after <c>bench</c>.</param>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (OperatingSystem.IsWindows())
        {
            Console.Error.WriteLine($"udp-over-tcp: the bench is a program of its own: run {BenchProgram}.exe (beside udp-over-tcp.exe) instead of 'udp-over-tcp bench'");
            return ExitCodes.Usage;
        }

        // The directory of this binary as the OS knows it (symbolic links resolved), not of argv[0].
        string bench = Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? ".", BenchProgram);

        // A null-terminated argv of UTF-8 strings; never freed: the process is replaced, or exits next.
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(args.Length + 2), (nuint)sizeof(byte*));
        argv[0] = (byte*)Marshal.StringToCoTaskMemUTF8(bench);
        for (int i = 0; i < args.Length; i++)
        {
            argv[i + 1] = (byte*)Marshal.StringToCoTaskMemUTF8(args[i]);
        }

        _ = Execv(argv[0], argv);
        string error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        Console.Error.WriteLine($"udp-over-tcp: cannot run the bench, {bench}: {error} (it is published beside udp-over-tcp)");
        return ExitCodes.Failure;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    private static partial int Execv(byte* path, byte** argv);
}
