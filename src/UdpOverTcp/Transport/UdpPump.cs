using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using CommunityToolkit.HighPerformance.Buffers;
using UdpOverTcp.Framing;

namespace UdpOverTcp.Transport;

/// <summary>
/// Moves datagrams between the bound UDP socket and the current <see cref="TcpLink"/>.
/// UDP → TCP: one long-lived loop receives each datagram straight into the link's output pipe,
/// behind room for its length prefix, so a datagram is copied once (kernel → pipe).
/// TCP → UDP: one loop per link decodes every complete frame and sends it to --udp-sendto from
/// the same bound socket (port bonding).
/// Both use the SocketAddress-based Socket calls, which do not allocate per datagram.
/// (Linux recvmmsg/sendmmsg batching plugs in here, behind these two loops.)
/// </summary>
public sealed class UdpPump
{
    /// <summary>Receive room for any datagram: anything the OS can deliver fits, so nothing is silently truncated.</summary>
    private const int ReceiveRoom = 65535;

    private readonly Socket _udp;
    private readonly FrameCodec _codec;
    private readonly SocketAddress _sendTo;
    private readonly string _sendToDisplay;
    private readonly TunnelStats _stats;
    private TcpLink? _link;

    public UdpPump(Socket udp, IPEndPoint sendTo, FrameCodec codec, TunnelStats stats)
    {
        _udp = udp;
        _codec = codec;
        _stats = stats;
        // A dual-mode [::] socket reaches IPv4 destinations through their IPv4-mapped form.
        var target = udp.AddressFamily == AddressFamily.InterNetworkV6 && sendTo.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(sendTo.Address.MapToIPv6(), sendTo.Port)
            : sendTo;
        _sendTo = target.Serialize();
        _sendToDisplay = sendTo.ToString();
    }

    /// <summary>The link datagrams from the app go to; null drops them (no peer, UDP semantics).</summary>
    public TcpLink? Link
    {
        get => Volatile.Read(ref _link);
        set => Volatile.Write(ref _link, value);
    }

    /// <summary>
    /// UDP → TCP, for the life of the tunnel. Ends when the UDP socket is closed (that is how the
    /// tunnel stops it: a cancellation token on every receive would cost an allocation each).
    /// </summary>
    public async Task RunReceiveLoopAsync()
    {
        using var scratch = MemoryOwner<byte>.Allocate(ReceiveRoom);
        var source = new SocketAddress(_udp.AddressFamily);
        var writer = new LinkWriter(_codec);

        try
        {
            while (true)
            {
                // Receive straight behind room for the header in the link's pipe when it can take the
                // datagram; otherwise into scratch memory.
                var pipeMemory = writer.TryGetMemory(Link, _codec.HeaderSize + ReceiveRoom);
                var target = pipeMemory.IsEmpty ? scratch.Memory : pipeMemory[_codec.HeaderSize..];
                int length = await ReceiveAsync(target, source).ConfigureAwait(false);
                if (length < 0)
                {
                    continue;
                }

                Interlocked.Increment(ref _stats.UdpReceived);
                Interlocked.Add(ref _stats.UdpReceivedBytes, length);
                if (length > _codec.MaxFrame)
                {
                    Interlocked.Increment(ref _stats.DroppedTooLarge);
                    continue;
                }

                // The link may have changed while we waited: the datagram goes to the link that is
                // current now, or is dropped, counted, if there is none or it is behind (never queued).
                switch (writer.Write(Link, pipeMemory, target.Span[..length]))
                {
                    case LinkWriter.Outcome.NoLink:
                        Interlocked.Increment(ref _stats.DroppedNoLink);
                        break;
                    case LinkWriter.Outcome.Behind:
                        Interlocked.Increment(ref _stats.DroppedBackpressure);
                        break;
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
            writer.Complete();
        }
    }

    /// <summary>TCP → UDP for one link: returns when the link's input ends or a frame is malformed.</summary>
    public async Task DeliverAsync(TcpLink link)
    {
        var input = link.Input;
        byte[]? joined = null;   // for the rare frame that straddles pipe segments
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (_codec.TryReadFrame(ref buffer, out var payload))
                    {
                        ReadOnlyMemory<byte> datagram;
                        if (payload.IsSingleSegment)
                        {
                            datagram = payload.First;
                        }
                        else
                        {
                            joined ??= ArrayPool<byte>.Shared.Rent(FrameCodec.DefaultMaxFrame);
                            payload.CopyTo(joined);
                            datagram = joined.AsMemory(0, (int)payload.Length);
                        }

                        await SendAsync(datagram).ConfigureAwait(false);
                    }
                }
                catch (FrameTooLargeException e)
                {
                    Interlocked.Increment(ref _stats.MalformedFrames);
                    link.Abort($"protocol error from peer: {e.Message}");
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!buffer.IsEmpty)
                    {
                        Log.Debug($"link {link.Remote}: {buffer.Length} bytes of an incomplete frame discarded");
                    }

                    return;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            if (joined is not null)
            {
                ArrayPool<byte>.Shared.Return(joined);
            }
        }
    }

    /// <summary>Returns the datagram length, or -1 when the receive failed in a way that only affects that datagram.</summary>
    private async ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketAddress source)
    {
        try
        {
            return await _udp.ReceiveFromAsync(buffer, SocketFlags.None, source).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Windows reports an ICMP port-unreachable for an earlier send on the next receive.
            Interlocked.Increment(ref _stats.UdpSendErrors);
            return -1;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            Interlocked.Increment(ref _stats.DroppedTooLarge);
            return -1;
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        try
        {
            await _udp.SendToAsync(datagram, SocketFlags.None, _sendTo).ConfigureAwait(false);
            Interlocked.Increment(ref _stats.UdpSent);
            Interlocked.Add(ref _stats.UdpSentBytes, datagram.Length);
        }
        catch (SocketException e)
        {
            // The destination is absent or unreachable: UDP semantics, the datagram is lost, the pump goes on.
            if (Interlocked.Increment(ref _stats.UdpSendErrors) == 1)
            {
                Log.Warn($"udp send to {_sendToDisplay} failed: {e.Message} (further failures are only counted)");
            }
        }
    }
}
