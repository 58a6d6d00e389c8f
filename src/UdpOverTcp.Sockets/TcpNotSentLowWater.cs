using System.Net.Sockets;
using UdpOverTcp.CommandLine;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// TCP_NOTSENT_LOWAT: the kernel takes unsent bytes on a link only while fewer than this many wait in
/// its send buffer, and reports the socket writable only below it. Bytes the peer has not acknowledged
/// yet (in flight) do not count, so it does not cap throughput; it moves the backlog of unsent bytes
/// from the kernel, where a datagram's age is unknown and nothing can be dropped, to the link's queue,
/// the tunnel's <c>TimeBoundedQueue</c>, where it is known. Linux and macOS; elsewhere the option is not set.
/// </summary>
public static class TcpNotSentLowWater
{
    /// <summary>
    /// The portable send loop's fixed value (macOS, or UDP_OVER_TCP_IO=portable): 6.5 ms of unsent bytes at
    /// 20 Mbit/s. The threaded Linux loops size theirs to the link (see the tunnel's <c>UnsentBudget</c>).
    /// </summary>
    public const int DefaultBytes = 16 * 1024;

    private const int DarwinOption = 0x201;   // netinet/tcp.h TCP_NOTSENT_LOWAT

    /// <summary>Sets the option where the OS has it; a refusal is logged at debug level and the link goes on without it.</summary>
    public static void Apply(Socket socket, int bytes)
    {
        int option = OperatingSystem.IsLinux() ? TCP_NOTSENT_LOWAT : OperatingSystem.IsMacOS() ? DarwinOption : 0;
        if (option == 0)
        {
            return;
        }

        try
        {
            socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, option, BitConverter.GetBytes(bytes));
        }
        catch (SocketException e)
        {
            Log.Debug($"tcp: TCP_NOTSENT_LOWAT not set: {e.Message}");
        }
    }
}
