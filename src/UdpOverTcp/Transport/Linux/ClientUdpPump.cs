using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Framing;

namespace UdpOverTcp.Transport.Linux;

/// <summary>
/// A --multi-client client's pump on Linux: the portable pump's receive (async on the sockets engine,
/// so an idle client is a pending receive and no thread), with the batched path's sends: each read of
/// the client's link goes out with one sendmmsg, runs of equal datagrams as one GSO buffer
/// (<see cref="MMsgSender"/>), in a batch borrowed from the clients' shared <see cref="GsoRunBuilderPool"/>.
/// A client's read holds several datagrams whenever the server is busy, which is when it counts.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ClientUdpPump : PortableUdpPump, IBatchedSendTarget
{
    private readonly GsoRunBuilderPool _batches;
    private volatile bool _gso;

    public ClientUdpPump(Socket udp, IPEndPoint sendTo, FrameCodec codec, TunnelStats stats, GsoRunBuilderPool batches)
        : base(udp, sendTo, peerOnly: true, codec, stats)
    {
        _batches = batches;
        _gso = IPAddress.IsLoopback(sendTo.Address) && Linux.Gso.IsSupported(udp);
    }

    public override string Kind => $"portable receive, sendmmsg{(_gso ? " with UDP GSO" : "")}";

    SafeHandle IBatchedSendTarget.SocketHandle => Udp.SafeHandle;

    UdpDestination IBatchedSendTarget.Destination => Destination;

    bool IBatchedSendTarget.Gso
    {
        get => _gso;
        set => _gso = value;
    }

    internal override DatagramSender CreateSender() => new MMsgSender(this, _batches);
}
