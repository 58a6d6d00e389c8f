using System.Buffers;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Framing;

namespace UdpOverTcp.Transport;

/// <summary>
/// Moves datagrams between the bound UDP socket and the current <see cref="TcpLink"/>.
/// UDP → TCP: one loop for the life of the tunnel frames each datagram into the link's output pipe
/// (see <see cref="LinkWriter"/>). TCP → UDP: one loop per link decodes every complete frame and sends
/// it to --udp-sendto from the same bound socket (port bonding).
/// Two implementations: <see cref="SocketUdpPump"/> (portable, a Socket call per datagram) and
/// <see cref="BatchedUdpPump"/> (Linux recvmmsg/sendmmsg); <see cref="Create"/> picks one.
/// </summary>
public abstract class UdpPump
{
    /// <summary>Receive room for any datagram: anything the OS can deliver fits, so nothing is silently truncated.</summary>
    protected const int ReceiveRoom = 65535;

    private TcpLink? _link;

    protected UdpPump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
    {
        Udp = udp;
        PeerOnly = peerOnly;
        Codec = codec;
        Stats = stats;
        // A dual-mode [::] socket reaches IPv4 destinations through their IPv4-mapped form.
        SendTo = udp.AddressFamily == AddressFamily.InterNetworkV6 && sendTo.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(sendTo.Address.MapToIPv6(), sendTo.Port)
            : sendTo;
        SendToDisplay = sendTo.ToString();
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
    protected IPEndPoint SendTo { get; }
    protected string SendToDisplay { get; }

    /// <summary>The pump for <paramref name="path"/>: <see cref="UdpDataPath.Auto"/> is batched on Linux, portable elsewhere.</summary>
    public static UdpPump Create(UdpDataPath path, Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
    {
        bool batched = path == UdpDataPath.Batched || (path == UdpDataPath.Auto && OperatingSystem.IsLinux());
        if (batched && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the batched UDP data path needs Linux (recvmmsg/sendmmsg)");
        }

        return batched && OperatingSystem.IsLinux()
            ? new BatchedUdpPump(udp, sendTo, peerOnly, codec, stats)
            : new SocketUdpPump(udp, sendTo, peerOnly, codec, stats);
    }

    /// <summary>UDP → TCP, for the life of the tunnel; returns after <see cref="Stop"/>.</summary>
    public abstract Task RunReceiveLoopAsync();

    /// <summary>Ends the receive loop. The tunnel then closes the socket.</summary>
    public abstract void Stop();

    /// <summary>TCP → UDP for one link: returns when the link's input ends or a frame is malformed.</summary>
    public async Task DeliverAsync(TcpLink link)
    {
        var input = link.Input;
        using var sender = CreateSender();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (Codec.TryReadFrame(ref buffer, out var payload))
                    {
                        await sender.SendAsync(payload).ConfigureAwait(false);
                    }

                    // Before AdvanceTo: a batch may still point into the buffer.
                    sender.SendPending();
                }
                catch (FrameTooLargeException e)
                {
                    sender.SendPending();
                    Interlocked.Increment(ref Stats.MalformedFrames);
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
        }
    }

    /// <summary>A sender for one link's delivery loop.</summary>
    protected abstract DatagramSender CreateSender();

    /// <summary>
    /// Counts a datagram from the app; false when it must not go on (too large to frame, or from a
    /// stranger under --udp-peer-only), which is counted too.
    /// </summary>
    protected bool CountReceived(int length, bool fromPeer = true)
    {
        CountReceivedBatch(1, length);
        return Admit(length, fromPeer);
    }

    /// <summary>Counts a batch of datagrams from the app at once: two atomic adds per batch, not per datagram.</summary>
    protected void CountReceivedBatch(int datagrams, long bytes)
    {
        Interlocked.Add(ref Stats.UdpReceived, datagrams);
        Interlocked.Add(ref Stats.UdpReceivedBytes, bytes);
    }

    /// <summary>
    /// False when a datagram from the app must not go on (too large to frame, or from a stranger
    /// under --udp-peer-only), which is counted; the datagram itself is counted by the caller.
    /// </summary>
    protected bool Admit(int length, bool fromPeer)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"udp->tcp datagram of {length} bytes{(fromPeer ? "" : " from a stranger")}");
        }

        if (!fromPeer)
        {
            Interlocked.Increment(ref Stats.DroppedNotPeer);
            return false;
        }

        if (length > Codec.MaxFrame)
        {
            Interlocked.Increment(ref Stats.DroppedTooLarge);
            return false;
        }

        return true;
    }

    /// <summary>Counts what <see cref="LinkWriter.Append"/> did with a datagram.</summary>
    private protected void CountOutcome(LinkWriter.Outcome outcome)
    {
        switch (outcome)
        {
            case LinkWriter.Outcome.NoLink:
                Interlocked.Increment(ref Stats.DroppedNoLink);
                TraceDrop("no link");
                break;
            case LinkWriter.Outcome.Behind:
                Interlocked.Increment(ref Stats.DroppedBackpressure);
                TraceDrop("tcp behind");
                break;
        }
    }

    private static void TraceDrop(string why)
    {
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"udp->tcp datagram dropped: {why}");
        }
    }

    internal void CountSent(int datagrams, long bytes)
    {
        Interlocked.Add(ref Stats.UdpSent, datagrams);
        Interlocked.Add(ref Stats.UdpSentBytes, bytes);
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"tcp->udp {datagrams} datagram(s), {bytes} bytes");
        }
    }

    /// <summary>The destination is absent or unreachable: UDP semantics, the datagram is lost, the pump goes on.</summary>
    internal void CountSendError(string error)
    {
        if (Interlocked.Increment(ref Stats.UdpSendErrors) == 1)
        {
            Log.Warn($"udp send to {SendToDisplay} failed: {error} (further failures are only counted)");
        }
    }
}
