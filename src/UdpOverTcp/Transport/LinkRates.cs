namespace UdpOverTcp.Transport;

/// <summary>
/// Tells an overload from a transient, for the <see cref="DropSchedule"/>: a queue that stands because more
/// arrives than the link can carry must be dropped from at once, one that stands because the link carries
/// less than usual for a moment (slow start, restart after idle, BBR's PROBE_RTT, a loss recovery) drains
/// by itself once the moment is over. So the queue is <see cref="Overloaded"/> when what arrived over the
/// last <see cref="ArrivalWindow"/> exceeds, by <see cref="Margin"/>, the most the link has been seen to
/// take over any <see cref="CapacityWindow"/> in the last <see cref="CapacityMemory"/>: a link that carried
/// 20 Mbit/s a few seconds ago can carry it again. Both are counted in frame bytes, in the queue: what was
/// flushed into it, and what the send loop handed to the kernel (which keeps only a few milliseconds of it
/// unsent, so that is what the link delivered). Until a capacity window has been measured, the link is
/// taken to be overloaded whenever a queue stands, as it was before this distinction existed.
/// Used only by the queue's consumer; nothing allocated after construction.
/// </summary>
internal sealed class LinkRates
{
    /// <summary>Short, so an overload is noticed within a tenth of a second.</summary>
    public static readonly TimeSpan ArrivalWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Long enough that a token bucket's burst (64 KB behind tbf) or BBR's probing for bandwidth does not pass for capacity.</summary>
    public static readonly TimeSpan CapacityWindow = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a measured capacity is believed: BBR's bandwidth filter remembers about as long.</summary>
    public static readonly TimeSpan CapacityMemory = TimeSpan.FromSeconds(10);

    /// <summary>Arrivals this much above the capacity are an overload; below, measurement noise.</summary>
    public const double Margin = 1.1;

    private readonly long _ticksPerSecond;
    private readonly long _arrivalWindowTicks;
    private readonly long _capacityWindowTicks;

    /// <summary>The highest rate in each capacity window of the memory (bytes per second), oldest overwritten first.</summary>
    private readonly double[] _capacities;
    private int _nextCapacity;

    private long _arrivalWindowStart;
    private long _arrivedAtWindowStart;
    private double _arrivalRate;

    private long _capacityWindowStart;
    private long _sentAtWindowStart;

    public LinkRates(long ticksPerSecond)
    {
        _ticksPerSecond = ticksPerSecond;
        _arrivalWindowTicks = (long)(ArrivalWindow.TotalSeconds * ticksPerSecond);
        _capacityWindowTicks = (long)(CapacityWindow.TotalSeconds * ticksPerSecond);
        _capacities = new double[(int)(CapacityMemory / CapacityWindow)];
    }

    /// <summary>More arrives than the link has lately been seen to carry (or it has not been seen to carry anything yet).</summary>
    public bool Overloaded => Capacity == 0 || _arrivalRate > Margin * Capacity;

    /// <summary>The most the link has taken over a capacity window lately, in bytes per second (0: not measured yet).</summary>
    public double Capacity { get; private set; }

    /// <summary>Notes the queue's totals at <paramref name="now"/>: bytes that ever <paramref name="arrived"/> in it, and bytes <paramref name="sent"/> from it.</summary>
    public void Update(long now, long arrived, long sent)
    {
        if (_arrivalWindowStart == 0)
        {
            (_arrivalWindowStart, _arrivedAtWindowStart) = (now, arrived);
            (_capacityWindowStart, _sentAtWindowStart) = (now, sent);
            return;
        }

        long elapsed = now - _arrivalWindowStart;
        if (elapsed >= _arrivalWindowTicks)
        {
            _arrivalRate = (arrived - _arrivedAtWindowStart) * (double)_ticksPerSecond / elapsed;
            (_arrivalWindowStart, _arrivedAtWindowStart) = (now, arrived);
        }

        elapsed = now - _capacityWindowStart;
        if (elapsed >= _capacityWindowTicks)
        {
            // A window that spans an idle spell measures less than the link can do, and counts as such:
            // the memory keeps the highest. Windows that passed while nothing was sent count as nothing.
            long windows = Math.Min(elapsed / _capacityWindowTicks, _capacities.Length);
            for (long i = 1; i < windows; i++)
            {
                Remember(0);
            }

            Remember((sent - _sentAtWindowStart) * (double)_ticksPerSecond / elapsed);
            (_capacityWindowStart, _sentAtWindowStart) = (now, sent);
        }
    }

    private void Remember(double rate)
    {
        _capacities[_nextCapacity] = rate;
        _nextCapacity = (_nextCapacity + 1) % _capacities.Length;
        double capacity = 0;
        foreach (double remembered in _capacities)
        {
            capacity = Math.Max(capacity, remembered);
        }

        Capacity = capacity;
    }
}
