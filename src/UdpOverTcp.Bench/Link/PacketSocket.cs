using System.Buffers.Binary;
using System.Runtime.InteropServices;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Bench.Platform.LinuxCalls;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// A raw AF_PACKET socket bound to one interface: whole Ethernet frames in and out, every protocol
/// (ARP too), as the delay line needs them (<see cref="DelayLine"/>). It sees only frames that arrive
/// on its interface, not the ones sent out of it (PACKET_IGNORE_OUTGOING), so what the delay line
/// forwards is never taken for a new arrival. The interface is looked up in the namespace of the
/// thread that opens it, and the socket stays in that namespace whichever thread uses it later.
/// Not thread-safe for closing: close it only once its users have stopped.
/// </summary>
public sealed unsafe class PacketSocket : IDisposable
{
    /// <summary>Kernel buffers for bursts while the delay line's threads wait for a core (a few thousand frames).</summary>
    private const int BufferBytes = 4 * 1024 * 1024;

    private int _fd;

    private PacketSocket(int fd, string interfaceName)
    {
        _fd = fd;
        InterfaceName = interfaceName;
    }

    public string InterfaceName { get; }

    /// <summary>Opens a socket on <paramref name="interfaceName"/> whose receives wait at most <paramref name="receiveTimeout"/>.</summary>
    public static PacketSocket Open(string interfaceName, TimeSpan receiveTimeout)
    {
        uint index = IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new BenchException($"delay line: no interface {interfaceName}: {LastError()}");
        }

        ushort protocol = BinaryPrimitives.ReverseEndianness(ETH_P_ALL);   // network byte order
        int fd = Socket(AF_PACKET, SOCK_RAW, protocol);
        if (fd < 0)
        {
            throw new BenchException($"delay line: cannot open a packet socket: {LastError()}");
        }

        var socket = new PacketSocket(fd, interfaceName);
        try
        {
            socket.SetOption(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING (Linux 4.20 or later)");
            socket.SetOption(SOL_SOCKET, SO_RCVBUFFORCE, BufferBytes, "SO_RCVBUFFORCE");
            socket.SetOption(SOL_SOCKET, SO_SNDBUFFORCE, BufferBytes, "SO_SNDBUFFORCE");
            var timeout = new TimeVal { Seconds = (nint)(receiveTimeout.Ticks / TimeSpan.TicksPerSecond), Microseconds = (nint)(receiveTimeout.Ticks % TimeSpan.TicksPerSecond / 10) };
            if (SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(TimeVal)) != 0)
            {
                throw new BenchException($"delay line: SO_RCVTIMEO on {interfaceName}: {LastError()}");
            }

            var address = new SockAddrLl { Family = AF_PACKET, Protocol = protocol, InterfaceIndex = (int)index };
            if (Bind(fd, &address, sizeof(SockAddrLl)) != 0)
            {
                throw new BenchException($"delay line: cannot bind a packet socket to {interfaceName}: {LastError()}");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One frame into <paramref name="buffer"/>: its length, or 0 when the receive timeout passed (or a signal came).</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = Recv(_fd, p, (nuint)buffer.Length, 0);
            if (n >= 0)
            {
                return (int)n;
            }
        }

        int error = Marshal.GetLastPInvokeError();
        return error is EAGAIN or EINTR ? 0 : throw new BenchException($"delay line: receiving on {InterfaceName}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    /// <summary>Sends one whole frame out of the interface; false if the kernel refused it (its queue full: a loss, as on a wire).</summary>
    public bool Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            return LinuxSocketCalls.Send(_fd, p, (nuint)frame.Length, 0) == frame.Length;
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = Close(_fd);
            _fd = -1;
        }
    }

    private void SetOption(int level, int name, int value, string what)
    {
        if (SetSockOpt(_fd, level, name, &value, sizeof(int)) != 0)
        {
            throw new BenchException($"delay line: {what} on {InterfaceName}: {LastError()}");
        }
    }

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
