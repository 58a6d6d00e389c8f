using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Framing;
using UdpOverTcp.Host;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The Linux data path: up to <see cref="BatchSize"/> datagrams per system call each way.
/// UDP → TCP: a thread of its own (<see cref="TunnelThreads.UdpToTcp"/>) blocks in recvmmsg(MSG_WAITFORONE)
/// — it waits for the first datagram only, so a lone datagram is never held back — frames the whole
/// batch into the link's pipe and flushes once: one TCP send carries the batch. TCP → UDP: each read of
/// the link's input is decoded and sent with sendmmsg (<see cref="MMsgSender"/>), the iovecs pointing
/// straight into the (pinned) pipe memory. The socket's descriptor is used directly, so the .NET Socket
/// is only for set-up and closing; every system call holds a reference on its handle so a close can
/// never hand the number to a new socket.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class BatchedUdpPump : UdpPump, IBatchedSendTarget
{
    public const int BatchSize = 64;

    /// <summary>How often an idle receive or a blocked send looks up to see whether the tunnel is stopping.</summary>
    public const int IdleWakeMilliseconds = 200;

    /// <summary>Per receive slot: room for any datagram, so MSG_TRUNC never happens for a real one; one byte more keeps the slots 64 KiB-aligned.</summary>
    private const int SlotSize = Datagram.MaxSize + 1;

    /// <summary>Receive GSO runs still joined (UDP_GRO) and split them here (<see cref="GroRun"/>): one message per run.</summary>
    private readonly bool _gro;
    private volatile bool _stopping;

    /// <summary>Send runs of equally sized datagrams as one GSO buffer (see <see cref="Gso.WorthUsing"/>); off for good once refused.</summary>
    private volatile bool _gso;

    public BatchedUdpPump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
        : base(udp, sendTo, peerOnly, codec, stats)
    {
        Debug.Assert(!SocketsEngine.Watches(udp), SocketsEngine.Rule);
        // Freed with the process: one per tunnel, read by every sender.
        SendToAddress = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
        SendToAddressLength = SocketAddressBytes.Write(Destination.EndPoint, new Span<byte>(SendToAddress, SocketAddressBytes.MaxLength));
        // A blocking recvmmsg wakes at least this often to notice Stop().
        udp.ReceiveTimeout = IdleWakeMilliseconds;
        _gso = Gso.WorthUsing(udp, sendTo);
        _gro = Gso.TryEnableGro(udp);
    }

    public override string Kind => $"batched (recvmmsg/sendmmsg{(_gro ? ", UDP GRO" : "")}{(_gso ? ", UDP GSO" : "")})";

    /// <summary>--udp-sendto as a sockaddr, for every message sent.</summary>
    public byte* SendToAddress { get; }

    public int SendToAddressLength { get; }

    public SafeHandle SocketHandle => Udp.SafeHandle;

    SafeHandle IBatchedSendTarget.SocketHandle => SocketHandle;

    UdpDestination IBatchedSendTarget.Destination => Destination;

    /// <summary>Whether senders join runs of equal datagrams (see <see cref="GsoRunBuilder"/>); off for good once refused.</summary>
    bool IBatchedSendTarget.Gso
    {
        get => _gso;
        set => _gso = value;
    }

    public override void Stop() => _stopping = true;

    public override Task RunReceiveLoopAsync() => TunnelThreads.Run(TunnelThreads.UdpToTcp, ReceiveLoop);

    public override DatagramSender CreateSender() => new MMsgSender(this);

    /// <summary>Runs on: its own thread (<see cref="TunnelThreads.UdpToTcp"/>), woken by a datagram or the receive timeout.</summary>
    private void ReceiveLoop()
    {
        MMsgTable table;
        try
        {
            // Source addresses only to tell the peer from strangers (--udp-peer-only); control room only for GRO.
            table = new MMsgTable(Udp, BatchSize, SlotSize, withSources: PeerOnly, controlRoom: _gro ? Gso.GroControlSize : 0);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        var toTcp = new UdpToTcp(Codec, Stats, Counts);
        try
        {
            while (!_stopping)
            {
                int received = RecvMMsg(table.Fd, table.Messages, BatchSize, MSG_WAITFORONE, null);
                if (_stopping)
                {
                    // Closing the socket shuts it down, which wakes this receive with an empty "datagram".
                    break;
                }

                if (received <= 0)
                {
                    if (!OnReceiveError(table.Fd))
                    {
                        break;
                    }

                    continue;
                }

                Forward(table, received, toTcp);
                toTcp.Flush();
            }
        }
        finally
        {
            toTcp.Complete();
            table.Dispose();
        }
    }

    /// <summary>Frames the <paramref name="received"/> messages of a batch onto the current link (not yet flushed).</summary>
    private void Forward(MMsgTable table, int received, UdpToTcp toTcp)
    {
        var link = Link;
        int datagrams = 0;
        long bytes = 0;
        for (int i = 0; i < received; i++)
        {
            ref var header = ref table.Messages[i].Header;
            bool truncated = (header.Flags & MSG_TRUNC) != 0;
            bool fromPeer = !PeerOnly || SocketAddressBytes.SameEndpoint(table.Source(i), SendToAddress);
            int segmentSize = _gro ? Gso.ReadGroSegmentSize(header.Control, header.ControlLength) : 0;
            byte* data = table.Received(i, out int length);
            table.RewindForReceive(i);
            if (truncated)
            {
                datagrams++;
                _ = toTcp.Admit(int.MaxValue, fromPeer: true);   // counted as too large
                continue;
            }

            foreach (var (offset, size) in new GroRun(length, segmentSize))
            {
                datagrams++;
                bytes += size;
                if (toTcp.Admit(size, fromPeer))
                {
                    toTcp.Append(link, Memory<byte>.Empty, new ReadOnlySpan<byte>(data + offset, size));
                }
            }
        }

        toTcp.CountReceived(datagrams, bytes);
    }

    /// <summary>True to go on receiving.</summary>
    private bool OnReceiveError(int fd)
    {
        int errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case EAGAIN:
                // The receive timeout passed (blocking socket) or nothing is queued (non-blocking).
                WaitFor(fd, POLLIN, IdleWakeMilliseconds);
                return true;
            case EINTR:
                return true;
            case EBADF:
                return false;
            default:
                // E.g. ECONNREFUSED from an ICMP error queued on the socket: about an earlier send.
                Destination.CountSendError(Marshal.GetPInvokeErrorMessage(errno));
                return true;
        }
    }
}
