using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// A --multi-client client's pump on Linux: the portable pump's receive (async on the sockets engine,
/// so an idle client is a pending receive and no thread), with the batched path's sends: each read of
/// the client's link goes out with one sendmmsg, runs of equal datagrams as one GSO buffer
/// (<see cref="MMsgSender"/>), in a batch borrowed from the clients' shared <see cref="GsoRunBuilderPool"/>.
/// A client's read holds several datagrams whenever the server is busy, which is when it counts.
/// The other way, after each receive the datagrams already queued on the socket are framed behind it
/// (recvfrom with MSG_DONTWAIT, in place in the link's pipe) and leave in the same TCP send.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClientUdpPump : PortableUdpPump, IBatchedSendTarget
{
    /// <summary>Queued datagrams taken after one receive at most: then the flush, and the next client's turn.</summary>
    private const int MaxQueuedPerReceive = BatchedUdpPump.BatchSize;

    private readonly GsoRunBuilderPool _batches;

    /// <summary>--udp-sendto as a sockaddr, to tell the peer's datagrams from strangers'.</summary>
    private readonly byte[] _peer = new byte[SocketAddressBytes.MaxLength];

    /// <summary>Send runs of equally sized datagrams as one GSO buffer (see <see cref="Gso.WorthUsing"/>); off for good once refused.</summary>
    private volatile bool _gso;

    public ClientUdpPump(Socket udp, IPEndPoint sendTo, FrameCodec codec, TunnelStats stats, GsoRunBuilderPool batches)
        : base(udp, sendTo, peerOnly: true, codec, stats)
    {
        _batches = batches;
        _gso = Gso.WorthUsing(udp, sendTo);
        SocketAddressBytes.Write(Destination.EndPoint, _peer);
    }

    public override string Kind => $"async receive then recvfrom for what is queued, sendmmsg{(_gso ? " with UDP GSO" : "")}";

    SafeHandle IBatchedSendTarget.SocketHandle => Udp.SafeHandle;

    UdpDestination IBatchedSendTarget.Destination => Destination;

    bool IBatchedSendTarget.Gso
    {
        get => _gso;
        set => _gso = value;
    }

    public override DatagramSender CreateSender() => new MMsgSender(this, _batches);

    private protected override unsafe void ReceiveQueued(UdpToTcp toTcp)
    {
        int datagrams = 0;
        long bytes = 0;
        byte* source = stackalloc byte[SocketAddressBytes.MaxLength];
        try
        {
            using var lease = new SocketHandleLease(Udp.SafeHandle);
            int fd = lease.Fd;
            for (int i = 0; i < MaxQueuedPerReceive; i++)
            {
                // Only in place: with no link, or the link behind, the rest waits for the next receive.
                var link = Link;
                var pipeMemory = toTcp.TryGetMemory(link, Codec.HeaderSize + ReceiveRoom);
                if (pipeMemory.IsEmpty)
                {
                    break;
                }

                var target = pipeMemory[Codec.HeaderSize..];
                uint sourceLength = SocketAddressBytes.MaxLength;
                new Span<byte>(source, SocketAddressBytes.MaxLength).Clear();
                nint length;
                fixed (byte* into = target.Span)
                {
                    length = RecvFrom(fd, into, (nuint)target.Length, MSG_DONTWAIT, source, &sourceLength);
                }

                if (length < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    if (errno != EAGAIN)
                    {
                        // E.g. ECONNREFUSED, from an ICMP error about an earlier send; the async receive reports the rest.
                        Destination.CountSendError(Marshal.GetPInvokeErrorMessage(errno));
                    }

                    break;
                }

                datagrams++;
                bytes += length;
                bool fromPeer;
                fixed (byte* peer = _peer)
                {
                    fromPeer = SocketAddressBytes.SameEndpoint(source, peer);
                }

                if (toTcp.Admit((int)length, fromPeer))
                {
                    toTcp.Append(link, pipeMemory, target.Span[..(int)length]);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The client is leaving: its socket is closed, and the async receive ends the loop.
        }

        if (datagrams > 0)
        {
            toTcp.CountReceived(datagrams, bytes);
        }
    }
}
