using System.Text;

namespace UdpOverTcp;

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

    /// <summary>One compact line, e.g. for the exit summary.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        sb.Append("udp->tcp received ").Append(Volatile.Read(ref UdpReceived)).Append(" datagrams ")
          .Append(Volatile.Read(ref UdpReceivedBytes)).Append(" bytes, dropped ")
          .Append(Volatile.Read(ref DroppedNoLink)).Append(" no-link ")
          .Append(Volatile.Read(ref DroppedBackpressure)).Append(" backpressure ")
          .Append(Volatile.Read(ref DroppedTooLarge)).Append(" too-large ")
          .Append(Volatile.Read(ref DroppedNotPeer)).Append(" not-peer; ");
        sb.Append("tcp->udp ").Append(Volatile.Read(ref UdpSent)).Append(" datagrams ")
          .Append(Volatile.Read(ref UdpSentBytes)).Append(" bytes, ")
          .Append(Volatile.Read(ref UdpSendErrors)).Append(" send errors; ");
        sb.Append("links ").Append(Volatile.Read(ref LinksEstablished)).Append(" established ")
          .Append(Volatile.Read(ref LinkFailures)).Append(" failed ")
          .Append(Volatile.Read(ref MalformedFrames)).Append(" malformed ")
          .Append(Volatile.Read(ref AuthFailures)).Append(" unauthenticated ")
          .Append(Volatile.Read(ref HandshakesUnfinished)).Append(" unfinished ")
          .Append(Volatile.Read(ref LinksRefused)).Append(" refused");
        return sb.ToString();
    }
}
