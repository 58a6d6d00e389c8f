using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace UdpOverTcp.Transport.Linux;

/// <summary>
/// UDP generic segmentation offload (Linux 4.18+): a sendmsg carrying a UDP_SEGMENT control
/// message with a segment size sends its payload as datagrams of that size (the last may be
/// shorter). Equal-sized datagrams then cross the sender's IP stack once per run instead of once each.
/// </summary>
internal static unsafe class Gso
{
    private const int SOL_UDP = 17;
    private const int UDP_SEGMENT = 103;

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
}
