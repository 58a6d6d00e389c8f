using System.Net;
using System.Net.Sockets;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The bound UDP socket's two directions: <see cref="UdpToTcp"/> in one receive loop for the life of
/// the tunnel, and <see cref="TcpToUdp"/> once per link with a <see cref="DatagramSender"/> of the
/// pump's kind. Two kinds, picked by <see cref="DataPathFactory"/>: <see cref="PortableUdpPump"/> (a Socket
/// call per datagram) and <see cref="BatchedUdpPump"/> (recvmmsg/sendmmsg).
/// </summary>
public abstract class UdpPump
{
    /// <summary>Receive room for any datagram: anything the OS can deliver fits, so nothing is silently truncated.</summary>
    protected const int ReceiveRoom = Datagram.MaxSize;

    private TcpLink? _link;

    private protected UdpPump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
    {
        Udp = udp;
        PeerOnly = peerOnly;
        Codec = codec;
        Stats = stats;
        Destination = new UdpDestination(udp, sendTo, stats, Counts);
    }

    /// <summary>Which data path the tunnel uses, for the start-up log line and the bench.</summary>
    public abstract string Kind { get; }

    /// <summary>The link datagrams from the app go to; null drops them (no peer, UDP semantics).</summary>
    public TcpLink? Link
    {
        get => Volatile.Read(ref _link);
        set => Volatile.Write(ref _link, value);
    }

    protected Socket Udp { get; }

    /// <summary>--udp-peer-only: datagrams from anyone but --udp-sendto are dropped, so no other local process can inject.</summary>
    protected bool PeerOnly { get; }
    protected FrameCodec Codec { get; }
    protected TunnelStats Stats { get; }
    public UdpDestination Destination { get; }

    /// <summary>This pump's own datagram counts (the tunnel's totals are in <see cref="Stats"/>).</summary>
    public PumpCounts Counts { get; } = new();

    /// <summary>UDP → TCP, for the life of the tunnel; returns after <see cref="Stop"/>.</summary>
    public abstract Task RunReceiveLoopAsync();

    /// <summary>Ends the receive loop. The tunnel then closes the socket.</summary>
    public abstract void Stop();

    /// <summary>TCP → UDP for one link: returns when the link's input ends or a frame is malformed.</summary>
    public async Task DeliverAsync(TcpLink link)
    {
        using var sender = CreateSender();
        await TcpToUdp.RunAsync(link, Codec, sender, Stats).ConfigureAwait(false);
    }

    /// <summary>A sender for one link's delivery loop: two links that overlap for a moment never share a batch.</summary>
    public abstract DatagramSender CreateSender();
}
