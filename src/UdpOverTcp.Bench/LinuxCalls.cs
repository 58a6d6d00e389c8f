using System.Runtime.InteropServices;

namespace UdpOverTcp.Bench;

/// <summary>
/// The bench's own Linux system calls, source-generated (<c>LibraryImport</c>, AOT-safe) and bound
/// when the binary is linked (DirectPInvoke libc). The batch layer's calls are the tunnel's
/// (<c>Transport/Linux</c>).
/// </summary>
internal static unsafe partial class LinuxCalls
{
    public const int PR_SET_TIMERSLACK = 29;

    /// <summary>unshare/setns: the network namespace.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    /// <summary>The tunnel prints its statistics line on this signal (10 on Linux).</summary>
    public const int SIGUSR1 = 10;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    public static partial int NanoSleep(TimeSpec* request, TimeSpec* remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>Moves the calling thread (only it) into a new network namespace.</summary>
    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);

    /// <summary>Moves the calling thread (only it) into the namespace <paramref name="fd"/> refers to.</summary>
    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
