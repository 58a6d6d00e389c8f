using System.Buffers;
using System.Net;
using System.Net.Sockets;
using CommunityToolkit.HighPerformance.Buffers;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The portable data path: one Socket call per datagram, using the SocketAddress-based overloads,
/// which do not allocate. Each datagram from the app is received straight into the link's pipe,
/// behind room for its length prefix, so it is copied once (kernel → pipe).
/// </summary>
public class PortableUdpPump : UdpPump
{
    private readonly SocketAddress _sendToAddress;

    public PortableUdpPump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
        : base(udp, sendTo, peerOnly, codec, stats)
    {
        _sendToAddress = Destination.EndPoint.Serialize();
    }

    public override string Kind => "portable";

    /// <summary>Closing the socket ends the pending receive: a cancellation token per receive would allocate.</summary>
    public override void Stop()
    {
    }

    /// <summary>Runs on: a pool thread to start (<see cref="Sessions.Session.RunReceiveLoopAsync"/>), then each receive's completion: a pool thread, or an engine thread with <see cref="InlineCompletions"/>.</summary>
    public override async Task RunReceiveLoopAsync()
    {
        // Taken only when first needed (no link, or the link behind): with --multi-client a pump per
        // client, and 64 KB each for a thousand idle clients would be most of the process's memory.
        MemoryOwner<byte>? scratch = null;
        var source = new SocketAddress(Udp.AddressFamily);
        var toTcp = new UdpToTcp(Codec, Stats, Counts);
        try
        {
            while (true)
            {
                // Receive in place in the link's pipe when it can take the datagram, else into scratch memory.
                var pipeMemory = toTcp.TryGetMemory(Link, Codec.HeaderSize + ReceiveRoom);
                var target = pipeMemory.IsEmpty ? (scratch ??= MemoryOwner<byte>.Allocate(ReceiveRoom)).Memory : pipeMemory[Codec.HeaderSize..];
                // Awaited here, not in a helper: an async helper would box its state on every pending receive.
                int length;
                try
                {
                    length = await Udp.ReceiveFromAsync(target, SocketFlags.None, source).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // Windows reports an ICMP port-unreachable for an earlier send on the next receive.
                    Destination.CountSendError(e.Message);
                    continue;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    Interlocked.Increment(ref Stats.DroppedTooLarge);
                    continue;
                }

                toTcp.CountReceived(1, length);
                if (!toTcp.Admit(length, fromPeer: !PeerOnly || source.Equals(_sendToAddress)))
                {
                    continue;
                }

                // The link may have changed while we waited: the datagram goes to the link that is current now.
                var outcome = toTcp.Append(Link, pipeMemory, target.Span[..length]);
                ReceiveQueued(toTcp);
                toTcp.Flush();
                if (outcome == UdpToTcp.Outcome.Written && scratch is not null && pipeMemory.IsEmpty)
                {
                    // The pump writes to this link now, so the next datagram is received in place: give the scratch memory back.
                    scratch.Dispose();
                    scratch = null;
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
        {
        }
        finally
        {
            toTcp.Complete();
            scratch?.Dispose();
        }
    }

    public override DatagramSender CreateSender() => new Sender(this);

    /// <summary>
    /// After a receive, before the flush: frames datagrams already queued on the socket, so that they
    /// leave in the same TCP send. Here nothing: Socket has no receive that returns at once when nothing
    /// is queued but Available and then Receive, two calls per datagram. The Linux client pump
    /// (<see cref="ClientUdpPump"/>) does it with recvfrom(MSG_DONTWAIT).
    /// </summary>
    private protected virtual void ReceiveQueued(UdpToTcp toTcp)
    {
    }

    /// <summary>One SendToAsync per datagram.</summary>
    private sealed class Sender(PortableUdpPump pump) : DatagramSender
    {
        private byte[]? _joined;   // for the rare frame that straddles pipe segments

        /// <summary>
        /// Not an async method: a UDP send almost always completes at once, and an async method would
        /// box its state whenever it did not. Only a send that has to wait goes through <see cref="WaitAsync"/>.
        /// </summary>
        public override ValueTask SendAsync(ReadOnlySequence<byte> payload)
        {
            ReadOnlyMemory<byte> datagram;
            if (payload.IsSingleSegment)
            {
                datagram = payload.First;
            }
            else
            {
                _joined ??= new byte[FrameCodec.DefaultMaxFrame];
                payload.CopyTo(_joined);
                datagram = _joined.AsMemory(0, (int)payload.Length);
            }

            try
            {
                var send = pump.Udp.SendToAsync(datagram, SocketFlags.None, pump._sendToAddress);
                if (!send.IsCompletedSuccessfully)
                {
                    return WaitAsync(send, datagram.Length);
                }

                pump.Destination.CountSent(1, datagram.Length);
            }
            catch (SocketException e)
            {
                pump.Destination.CountSendError(e.Message);
            }

            return ValueTask.CompletedTask;
        }

        private async ValueTask WaitAsync(ValueTask<int> send, int length)
        {
            try
            {
                await send.ConfigureAwait(false);
                pump.Destination.CountSent(1, length);
            }
            catch (SocketException e)
            {
                pump.Destination.CountSendError(e.Message);
            }
        }

        public override void SendPending()
        {
        }
    }
}
