using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace UdpOverTcp.Sessions;

/// <summary>
/// Counters for one tunnel instance. Each is written by one loop and read by anyone, so plain
/// Interlocked adds suffice: no locks on the data path.
/// </summary>
public sealed class TunnelStats
{
    // UDP → TCP: every datagram the app sent us; the Dropped* counters say which of them did not go on.
    public long UdpReceived;
    public long UdpReceivedBytes;
    public long DroppedNoLink;
    public long DroppedBackpressure;
    public long DroppedTooLarge;
    public long DroppedNotPeer;

    /// <summary>Datagrams that waited longer than --queue-delay for the TCP link and were dropped at the head of its queue.</summary>
    public long DroppedStale;

    /// <summary>
    /// How long the datagrams handed to TCP last had waited in the link's queue, and the longest such wait
    /// since the previous statistics line, in Stopwatch ticks (written by the send loop, see TimeBoundedQueue).
    /// </summary>
    private long _queueDelayNow;
    private long _queueDelayMax;

    // TCP → UDP: frames from the peer delivered to --udp-sendto.
    public long UdpSent;
    public long UdpSentBytes;
    public long UdpSendErrors;

    // Links.
    public long LinksEstablished;
    public long LinkFailures;
    public long MalformedFrames;
    public long AuthFailures;

    /// <summary>Listen side: connections closed before their handshake finished (silent, too slow, crowded out, or gone).</summary>
    public long HandshakesUnfinished;
    public long LinksRefused;

    /// <summary>--multi-client: the clients line is part of <see cref="Summary"/>.</summary>
    public bool CountsClients { get; init; }

    /// <summary>--multi-client: clients connected now, the most at once, all so far, and connections refused past --max-clients.</summary>
    public long ClientsNow;
    public long ClientsMost;
    public long ClientsTotal;
    public long ClientsRefused;

    /// <summary>The send loop: what it is about to send waited <paramref name="ticks"/> (0 when nothing was old enough to tell).</summary>
    public void NoteQueueDelay(long ticks)
    {
        _queueDelayNow = ticks;
        if (ticks > Volatile.Read(ref _queueDelayMax))
        {
            // One writer per link; with two links at once (a replacement) a lost maximum is harmless.
            Volatile.Write(ref _queueDelayMax, ticks);
        }
    }

    /// <summary>One compact line, e.g. for the exit summary. The queue delay's maximum starts again after each line.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        sb.Append("udp->tcp received ").Append(Volatile.Read(ref UdpReceived)).Append(" datagrams ")
          .Append(Volatile.Read(ref UdpReceivedBytes)).Append(" bytes, dropped ")
          .Append(Volatile.Read(ref DroppedNoLink)).Append(" no-link ")
          .Append(Volatile.Read(ref DroppedBackpressure)).Append(" backpressure ")
          .Append(Volatile.Read(ref DroppedTooLarge)).Append(" too-large ")
          .Append(Volatile.Read(ref DroppedNotPeer)).Append(" not-peer ")
          .Append(Volatile.Read(ref DroppedStale)).Append(" stale, queue delay now ")
          .Append(Milliseconds(Volatile.Read(ref _queueDelayNow))).Append(" ms max ")
          .Append(Milliseconds(Interlocked.Exchange(ref _queueDelayMax, 0))).Append(" ms; ");
        sb.Append("tcp->udp ").Append(Volatile.Read(ref UdpSent)).Append(" datagrams ")
          .Append(Volatile.Read(ref UdpSentBytes)).Append(" bytes, ")
          .Append(Volatile.Read(ref UdpSendErrors)).Append(" send errors; ");
        sb.Append("links ").Append(Volatile.Read(ref LinksEstablished)).Append(" established ")
          .Append(Volatile.Read(ref LinkFailures)).Append(" failed ")
          .Append(Volatile.Read(ref MalformedFrames)).Append(" malformed ")
          .Append(Volatile.Read(ref AuthFailures)).Append(" unauthenticated ")
          .Append(Volatile.Read(ref HandshakesUnfinished)).Append(" unfinished ")
          .Append(Volatile.Read(ref LinksRefused)).Append(" refused");
        if (CountsClients)
        {
            sb.Append("; clients now ").Append(Volatile.Read(ref ClientsNow))
              .Append(" most ").Append(Volatile.Read(ref ClientsMost))
              .Append(" total ").Append(Volatile.Read(ref ClientsTotal))
              .Append(" refused ").Append(Volatile.Read(ref ClientsRefused));
        }

        return sb.ToString();
    }

    private static string Milliseconds(long ticks) =>
        (ticks * 1000.0 / Stopwatch.Frequency).ToString("0.0", CultureInfo.InvariantCulture);
}
