using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// UDP generic segmentation offload (Linux 4.18+): a sendmsg carrying a UDP_SEGMENT control
/// message with a segment size sends its payload as datagrams of that size (the last may be
/// shorter). Equal-sized datagrams then cross the sender's IP stack once per run instead of once each.
/// </summary>
public static unsafe class Gso
{
    /// <summary>Room for the UDP_GRO control message a receive may carry (CMSG_SPACE(sizeof(int)) is 24).</summary>
    public const int GroControlSize = 32;

    /// <summary>The kernel's UDP_MAX_SEGMENTS (64 before Linux 6.10, 128 since): the lower one.</summary>
    public const int MaxSegments = 64;

    /// <summary>A run is one UDP payload on the wire before segmentation: at most 65,507 bytes over IPv4.</summary>
    public const int MaxRunBytes = 65507;

    /// <summary>CMSG_SPACE(sizeof(u16)) on 64-bit Linux: a 16-byte cmsghdr, the value padded to 8.</summary>
    public const int ControlSize = 24;

    private const int HeaderSize = 16;

    /// <summary>Whether this kernel knows UDP_SEGMENT (asked with getsockopt; nothing is changed).</summary>
    public static bool IsSupported(Socket udp)
    {
        try
        {
            Span<byte> value = stackalloc byte[4];
            return udp.GetRawSocketOption(SOL_UDP, UDP_SEGMENT, value) == 4;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a pump sending to <paramref name="sendTo"/> should join runs of equal datagrams into one
    /// UDP_SEGMENT buffer: they cross the IP stack once and are cut into datagrams at the receiving
    /// socket, which sees ordinary datagrams. Only towards loopback, whose MTU fits any run (a path
    /// with a smaller MTU would refuse large segments), and only where the kernel knows UDP_SEGMENT.
    /// </summary>
    public static bool WorthUsing(Socket udp, IPEndPoint sendTo) => IPAddress.IsLoopback(sendTo.Address) && IsSupported(udp);

    /// <summary>
    /// Sets a socket-wide segment size (0 turns it off): every send is then cut into datagrams of that
    /// size. False when the kernel does not offer UDP_SEGMENT or the socket is closed.
    /// </summary>
    public static bool TrySetSegmentSize(Socket udp, int segmentSize)
    {
        try
        {
            udp.SetRawSocketOption(SOL_UDP, UDP_SEGMENT, BitConverter.GetBytes(segmentSize));
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Writes the UDP_SEGMENT control message (cmsghdr then the u16 segment size) at <paramref name="control"/>.</summary>
    public static void WriteSegmentSize(void* control, int segmentSize)
    {
        var bytes = new Span<byte>(control, ControlSize);
        bytes.Clear();
        MemoryMarshal.Write(bytes, (nuint)(HeaderSize + sizeof(ushort)));   // cmsg_len = CMSG_LEN(2)
        MemoryMarshal.Write(bytes[8..], SOL_UDP);                            // cmsg_level
        MemoryMarshal.Write(bytes[12..], UDP_SEGMENT);                       // cmsg_type
        MemoryMarshal.Write(bytes[HeaderSize..], (ushort)segmentSize);
    }

    /// <summary>
    /// Asks the kernel to hand this socket runs of datagrams that arrived as one GSO buffer (from an app
    /// that sends with UDP_SEGMENT) still joined, with their segment size in a UDP_GRO control message
    /// (Linux 5.0+). False where the kernel does not offer it.
    /// </summary>
    public static bool TryEnableGro(Socket udp)
    {
        try
        {
            udp.SetRawSocketOption(SOL_UDP, UDP_GRO, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The segment size from a receive's UDP_GRO control message, or 0 when there is none.</summary>
    public static int ReadGroSegmentSize(void* control, nuint controlLength)
    {
        var bytes = new ReadOnlySpan<byte>(control, (int)Math.Min(controlLength, (nuint)GroControlSize));
        int offset = 0;
        while (offset + HeaderSize + sizeof(int) <= bytes.Length)
        {
            nuint length = MemoryMarshal.Read<nuint>(bytes[offset..]);
            int level = MemoryMarshal.Read<int>(bytes[(offset + 8)..]);
            int type = MemoryMarshal.Read<int>(bytes[(offset + 12)..]);
            if (level == SOL_UDP && type == UDP_GRO)
            {
                return MemoryMarshal.Read<int>(bytes[(offset + HeaderSize)..]);
            }

            if (length < HeaderSize)
            {
                break;
            }

            offset += (int)((length + 7) & ~(nuint)7);   // CMSG_NXTHDR: the next header is 8-aligned
        }

        return 0;
    }
}
