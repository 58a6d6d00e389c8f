namespace UdpOverTcp.Sockets;

/// <summary>What every UDP datagram the project handles has in common.</summary>
public static class Datagram
{
    /// <summary>
    /// The largest UDP payload (IPv6 jumbograms aside; the UDP length field is 16 bits): a receive
    /// buffer this large never truncates a real datagram, and the largest frame either framing carries.
    /// </summary>
    public const int MaxSize = 65535;
}
