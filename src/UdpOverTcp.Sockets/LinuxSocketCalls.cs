using System.Runtime.InteropServices;

namespace UdpOverTcp.Sockets;

/// <summary>
/// The batching system calls, source-generated (<c>LibraryImport</c>): no marshalling stubs at run
/// time, AOT- and trim-safe, and nothing allocated per call. Struct layouts are the kernel's for
/// 64-bit Linux (x64, arm64), where glibc and musl agree.
/// </summary>
public static unsafe partial class LinuxSocketCalls
{
    /// <summary>recvmmsg: block for the first datagram, then take only what is already queued.</summary>
    public const int MSG_WAITFORONE = 0x10000;

    /// <summary>msg_flags: the datagram was longer than the buffer.</summary>
    public const int MSG_TRUNC = 0x20;

    /// <summary>send/recv: this call only does not block, whatever the socket's mode.</summary>
    public const int MSG_DONTWAIT = 0x40;

    /// <summary>send: a reset peer gives EPIPE, not a SIGPIPE that would end the process.</summary>
    public const int MSG_NOSIGNAL = 0x4000;

    /// <summary>setsockopt level of the socket options (asm-generic/socket.h; SocketOptionLevel.Socket is Windows' 0xffff).</summary>
    public const int SOL_SOCKET = 1;

    /// <summary>setsockopt level of the TCP options (netinet/in.h).</summary>
    public const int IPPROTO_TCP = 6;

    /// <summary>setsockopt level of the UDP options (netinet/in.h IPPROTO_UDP).</summary>
    public const int SOL_UDP = 17;

    /// <summary>SOL_SOCKET: set the buffer sizes past net.core.[rw]mem_max (needs CAP_NET_ADMIN).</summary>
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;

    /// <summary>SOL_SOCKET: the firewall mark for policy routing (needs CAP_NET_ADMIN).</summary>
    public const int SO_MARK = 36;

    /// <summary>A listener accepts a connection only once data arrives on it, or after about this many seconds (netinet/tcp.h).</summary>
    public const int TCP_DEFER_ACCEPT = 9;

    /// <summary>IPPROTO_TCP: struct tcp_info (linux/tcp.h).</summary>
    public const int TCP_INFO = 11;

    /// <summary>IPPROTO_TCP: the congestion control algorithm, by name (e.g. "cubic", "bbr").</summary>
    public const int TCP_CONGESTION = 13;

    /// <summary>IPPROTO_TCP: unacknowledged data older than this many milliseconds ends the connection.</summary>
    public const int TCP_USER_TIMEOUT = 18;

    /// <summary>IPPROTO_TCP: the socket is writable only while fewer unsent bytes than this are queued.</summary>
    public const int TCP_NOTSENT_LOWAT = 25;

    /// <summary>SOL_UDP: send a buffer as datagrams of this size (GSO, Linux 4.18+).</summary>
    public const int UDP_SEGMENT = 103;

    /// <summary>SOL_UDP: receive GSO runs still joined, with their segment size (Linux 5.0+).</summary>
    public const int UDP_GRO = 104;

    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;

    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, void* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    /// <summary>
    /// sendmmsg until all <paramref name="count"/> messages are sent, retrying after EINTR and waiting
    /// for room after EAGAIN (with <paramref name="waitMilliseconds"/> 0, EAGAIN ends it like an error).
    /// Returns how many were sent: fewer when message [result] failed for another reason, whose errno
    /// is then in <paramref name="error"/> (the caller counts it and goes on).
    /// </summary>
    public static int SendMMsgAll(int fd, MMsgHdr* messages, int count, int waitMilliseconds, out int error)
    {
        error = 0;
        int sent = 0;
        while (sent < count)
        {
            int n = SendMMsg(fd, messages + sent, (uint)(count - sent), 0);
            if (n > 0)
            {
                sent += n;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EAGAIN && waitMilliseconds > 0)
            {
                WaitFor(fd, POLLOUT, waitMilliseconds);
                continue;
            }

            error = errno;
            break;
        }

        return sent;
    }

    /// <summary>
    /// Waits until the socket is ready for <paramref name="events"/> or the timeout passes. False when
    /// the wait ended without that (timed out, or a signal interrupted it): look again. True when it is
    /// ready, or when poll itself failed: the next call on the socket says why.
    /// </summary>
    public static bool WaitFor(int fd, short events, int timeoutMilliseconds)
    {
        var pollFd = new PollFd { Fd = fd, Events = events };
        int ready = Poll(&pollFd, 1, timeoutMilliseconds);
        return ready > 0 || (ready < 0 && Marshal.GetLastPInvokeError() != EINTR);
    }
}
