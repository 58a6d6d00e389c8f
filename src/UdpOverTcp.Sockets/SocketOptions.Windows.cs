using System.Net.Sockets;

namespace UdpOverTcp.Sockets;

public static partial class SocketOptions
{
    /// <summary>_WSAIOW(IOC_VENDOR, 12), as mstcpip.h defines it.</summary>
    private const int SIO_UDP_CONNRESET = unchecked((int)0x9800000C);

    /// <summary>Without this, Windows fails the next receive with WSAECONNRESET after an ICMP port unreachable. Windows only.</summary>
    public static void DisableUdpConnReset(Socket udp)
    {
        try
        {
            udp.IOControl(SIO_UDP_CONNRESET, [0, 0, 0, 0], null);
        }
        catch (SocketException)
        {
        }
    }
}
