using System.IO.Pipelines;
using UdpOverTcp.DataPath.Link;

namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// One of a link's UDP → TCP queues: a pipe of frames, written by the UDP pump (<see cref="UdpToTcp"/>)
/// and read by the link's send loop (<see cref="SendScheduler"/>), and with --queue-delay the ledger of
/// their ages (<see cref="TimeBoundedQueue"/>). A link has a bulk lane and, with --priority-size, a
/// lane for small datagrams.
/// </summary>
public sealed class OutputLane(TimeBoundedQueue? bound)
{
    private readonly Pipe _pipe = new(TcpLink.OutputOptions);

    public PipeWriter Writer => _pipe.Writer;

    public PipeReader Reader => _pipe.Reader;

    /// <summary>The ages of what waits, and what to drop; null: bounded by bytes only.</summary>
    public TimeBoundedQueue? Bound { get; } = bound;

    /// <summary>Flushes what the UDP pump framed, noting when it was queued.</summary>
    public ValueTask<FlushResult> FlushAsync()
    {
        Bound?.Record(_pipe.Writer.UnflushedBytes);
        return _pipe.Writer.FlushAsync(CancellationToken.None);
    }
}
