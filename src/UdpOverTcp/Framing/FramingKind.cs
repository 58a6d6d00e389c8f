namespace UdpOverTcp.Framing;

/// <summary>How a datagram's length is written in front of it on the TCP stream.</summary>
public enum FramingKind
{
    /// <summary>4-byte little-endian length: the original Rust udp-over-tcp (default).</summary>
    U32LittleEndian,

    /// <summary>2-byte big-endian length: RFC 4571, Debian's udptunnel, mullvad's udp-over-tcp.</summary>
    U16BigEndian,
}
