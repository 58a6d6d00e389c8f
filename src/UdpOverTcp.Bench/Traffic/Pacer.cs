namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// The generator's schedule: how many datagrams are due at a given time for a steady offered rate.
/// When the generator falls far behind (it was not scheduled for a while), the debt beyond
/// <see cref="MaxDebt"/> is written off rather than sent in one burst: a burst that large would
/// measure the generator's hiccup, not the tunnel. What was written off shows as a lower achieved
/// rate, which the trial checks. Pure arithmetic on timestamps, so it can be tested without a clock.
/// </summary>
public sealed class Pacer
{
    private readonly double _perTick;
    private readonly long _start;
    private long _skipped;

    /// <param name="rate">Datagrams per second.</param>
    /// <param name="start">Stopwatch timestamp of the schedule's start.</param>
    /// <param name="ticksPerSecond">Stopwatch.Frequency, or a test's own.</param>
    public Pacer(double rate, long start, long ticksPerSecond)
    {
        _perTick = rate / ticksPerSecond;
        _start = start;
        TicksPerDatagram = ticksPerSecond / rate;
        // 5 ms of datagrams (a scheduler hiccup on a busy machine; a few MB of socket buffer at most), but never less than a few batches.
        MaxDebt = Math.Max(4 * BatchSender.MaxBatch, (long)(rate * 0.005));
    }

    /// <summary>The largest burst the generator may send to catch up.</summary>
    public long MaxDebt { get; }

    public double TicksPerDatagram { get; }

    /// <summary>Datagrams written off so far because the generator fell behind.</summary>
    public long Skipped => _skipped;

    /// <summary>How many datagrams to send now, given <paramref name="sent"/> so far (never more than <see cref="MaxDebt"/>).</summary>
    public long Due(long now, long sent)
    {
        long due = (long)((now - _start) * _perTick) - _skipped - sent;
        if (due > MaxDebt)
        {
            _skipped += due - MaxDebt;
            due = MaxDebt;
        }

        return due;
    }

    /// <summary>Ticks from <paramref name="now"/> until the next datagram is due (0 if one is due now).</summary>
    public long TicksUntilNext(long now, long sent)
    {
        long next = _start + (long)Math.Ceiling((sent + _skipped + 1) * TicksPerDatagram);
        return Math.Max(0, next - now);
    }
}
