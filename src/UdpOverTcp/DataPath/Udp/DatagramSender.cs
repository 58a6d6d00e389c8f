using System.Buffers;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// Sends decoded datagrams to --udp-sendto for one link's delivery loop. One per loop, so two links
/// that overlap for a moment (a replacement) never share a batch or a buffer.
/// </summary>
public abstract class DatagramSender : IDisposable
{
    /// <summary>Sends, or queues for the next batch, one datagram. Errors are counted, never thrown.</summary>
    public abstract ValueTask SendAsync(ReadOnlySequence<byte> payload);

    /// <summary>Sends whatever is queued. Called before the pipe memory the queue points into is released.</summary>
    public abstract void SendPending();

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
