namespace UdpOverTcp.Sockets;

/// <summary>
/// Which UDP data path a tunnel uses. Chosen with the environment variable <c>UDP_OVER_TCP_IO</c>
/// (auto, portable, batched): a knob for comparing the two in the bench and for working around a
/// platform problem, not a setting users should need.
/// </summary>
public enum UdpDataPath
{
    /// <summary>Batched on Linux, portable elsewhere.</summary>
    Auto,

    /// <summary>One Socket call per datagram; works everywhere.</summary>
    Portable,

    /// <summary>recvmmsg/sendmmsg; Linux only.</summary>
    Batched,
}
