using System.Runtime.InteropServices;

namespace UdpOverTcp.Bench.Platform;

/// <summary>
/// The bench's own Linux system calls, source-generated (<c>LibraryImport</c>, AOT-safe) and bound
/// when the binary is linked (DirectPInvoke libc). The batch layer's calls are the shared library's
/// (<c>UdpOverTcp.Sockets</c>).
/// </summary>
public static unsafe partial class LinuxCalls
{
    public const int PR_SET_TIMERSLACK = 29;

    /// <summary>unshare/setns: the network namespace.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    /// <summary>The tunnel prints its statistics line on this signal (10 on Linux).</summary>
    public const int SIGUSR1 = CommandLine.Signals.LinuxUser1;

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

    // The delay line's raw frames (PacketSocket): AF_PACKET sockets bound to one interface. recv, send
    // and the socket-level constants are UdpOverTcp.Sockets' (LinuxSocketCalls).
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;

    /// <summary>Every protocol: ARP as well as IPv4 (and whatever else crosses the segment).</summary>
    public const ushort ETH_P_ALL = 0x0003;
    public const int SO_RCVTIMEO = 20;
    public const int SOL_PACKET = 263;

    /// <summary>Linux 4.20+: do not show a packet socket the frames its own interface sends (ours among them).</summary>
    public const int PACKET_IGNORE_OUTGOING = 23;

    /// <summary>struct sockaddr_ll (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int InterfaceIndex;
        public ushort HardwareType;
        public byte PacketType;
        public byte AddressLength;
        public ulong Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public nint Seconds;
        public nint Microseconds;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockAddrLl* address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>The index of the interface <paramref name="name"/> in the calling thread's network namespace; 0 if none.</summary>
    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial uint IfNameToIndex(string name);
}
