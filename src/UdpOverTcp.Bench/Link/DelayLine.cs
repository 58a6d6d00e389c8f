namespace UdpOverTcp.Bench.Link;

/// <summary>
/// The bench's own delay line, in user space because this kind of machine's kernel may have no netem:
/// the middle namespace M bridges X's veth (mx) and Y's (my) by hand. A packet socket on each
/// (<see cref="PacketSocket"/>) takes every frame that arrives, and each direction
/// (<see cref="DelayLineDirection"/>) holds it for the delay, drops it with the loss probability, and
/// sends it out of the other. The sockets are made by a thread that entered M (setns, as the bench's
/// other sockets in X and Y); they stay M's, so the threads that use them need not be in M.
/// The sockets hold M too: it is freed once they are closed (or the bench is gone) and M's own
/// descriptor is let go.
/// </summary>
public sealed class DelayLine : IDisposable
{
    /// <summary>How long a receive waits before its thread looks whether the line is stopping.</summary>
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromMilliseconds(100);

    private readonly PacketSocket _x;
    private readonly PacketSocket _y;
    private readonly DelayLineDirection _toY;
    private readonly DelayLineDirection _toX;

    private DelayLine(DelayLineSettings settings, PacketSocket x, PacketSocket y, long linkBitsPerSecond)
    {
        Settings = settings;
        _x = x;
        _y = y;
        _toY = new DelayLineDirection("X -> Y", from: x, to: y, settings.DelayMilliseconds, settings.Loss, settings.Seed, linkBitsPerSecond);
        _toX = new DelayLineDirection("Y -> X", from: y, to: x, settings.DelayMilliseconds, settings.Loss, unchecked(settings.Seed + 1), linkBitsPerSecond);
    }

    public DelayLineSettings Settings { get; }

    /// <summary>What the X -> Y direction did so far.</summary>
    public DelayLineCounts TowardsY => _toY.Counts;

    /// <summary>What the Y -> X direction did so far.</summary>
    public DelayLineCounts TowardsX => _toX.Counts;

    /// <summary>
    /// Opens the packet sockets on <paramref name="xSide"/> and <paramref name="ySide"/> inside
    /// <paramref name="middle"/> and starts both directions, each holding up to what the link's rate
    /// (<paramref name="linkBitsPerSecond"/>) brings over the delay.
    /// </summary>
    public static DelayLine Start(LinkNamespace middle, string xSide, string ySide, DelayLineSettings settings, long linkBitsPerSecond)
    {
        var x = middle.Enter(() => PacketSocket.Open(xSide, ReceiveTimeout));
        try
        {
            var y = middle.Enter(() => PacketSocket.Open(ySide, ReceiveTimeout));
            try
            {
                return new DelayLine(settings, x, y, linkBitsPerSecond);
            }
            catch
            {
                y.Dispose();
                throw;
            }
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>Stops the threads, then closes the sockets (never while a thread may still use them).</summary>
    public void Dispose()
    {
        _toY.Dispose();
        _toX.Dispose();
        _x.Dispose();
        _y.Dispose();
    }
}
