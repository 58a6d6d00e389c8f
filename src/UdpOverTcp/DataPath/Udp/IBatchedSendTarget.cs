using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// What an <see cref="MMsgSender"/> sends through: a UDP socket's descriptor, the counters of its
/// destination, and whether runs of equal datagrams go as one GSO buffer. The batched pump (one link)
/// and the client pump (--multi-client) are both such targets.
/// </summary>
[SupportedOSPlatform("linux")]
public interface IBatchedSendTarget
{
    /// <summary>The UDP socket's handle: every system call holds a reference on it.</summary>
    SafeHandle SocketHandle { get; }

    UdpDestination Destination { get; }

    /// <summary>Whether senders join runs of equal datagrams (see <see cref="GsoRunBuilder"/>); off for good once refused.</summary>
    bool Gso { get; set; }
}
