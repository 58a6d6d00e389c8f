using System.Net.Sockets;

namespace UdpOverTcp.Sessions;

public static partial class SocketSetup
{
    private const int SIO_UDP_CONNRESET = -1744830452;

    /// <summary>Without this, Windows fails the next receive with WSAECONNRESET after an ICMP port unreachable.</summary>
    private static void DisableUdpConnReset(Socket udp)
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
