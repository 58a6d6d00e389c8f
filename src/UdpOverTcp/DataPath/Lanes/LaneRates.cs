namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// What a lane's rates say of a queue that stands (<see cref="DropSchedule.Load"/>), from what arrived
/// in the lane and what it sent over the last <see cref="RecentWindow"/>, against the most it has lately
/// sent (<see cref="LaneCapacity"/>):
/// <list type="bullet">
/// <item>more sent than arrived: the queue drains by itself;</item>
/// <item>sending as fast as lately (at least <see cref="DipBelow"/> of it), no faster than just before
/// (not <see cref="RisingAbove"/> it, on a path long enough for TCP's climb to show), and still more
/// arriving: an overload;</item>
/// <item>otherwise the link sends less than it did, or ever faster (slow start, restart after idle,
/// PROBE_RTT, a loss recovery), or how much it can is not known yet: a dip.</item>
/// </list>
/// A flow that arrives faster than any the lane carried before is not an overload while TCP's rate still
/// climbs to meet it: the bench's 0.5x flow after a 0.2x one on a 50 ms path lost 68 datagrams at the start
/// of its trial to TCP's restart after idle when it was.
/// Used by the queue's consumer only; nothing allocated after construction.
/// </summary>
public sealed class LaneRates(long ticksPerSecond)
{
    /// <summary>Over how long the recent rates are measured (half of it to all of it): short, so an overload is noticed within a tenth of a second.</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Sending at least this share of the lane's capacity is sending as fast as it lately did; less is a dip.</summary>
    public const double DipBelow = 0.7;

    /// <summary>Sending this much faster than over the measure before is a rate that still climbs: slow start doubles it every round trip.</summary>
    public const double RisingAbove = 1.25;

    /// <summary>Arrivals this much above what is sent are a queue that grows, this much below one that drains; between, noise.</summary>
    public const double GrowthMargin = 1.05;

    private readonly long _halfRecentWindowTicks = (long)(RecentWindow.TotalSeconds * ticksPerSecond / 2);
    private readonly LaneCapacity _capacity = new(ticksPerSecond);

    /// <summary>
    /// Marks at least half a window apart, oldest first: when, and how many bytes had arrived and been sent
    /// by then. The recent rates are measured from the middle one (over half a window to a whole one), the
    /// rate before them between the first two.
    /// </summary>
    private (long At, long Arrived, long Sent) _first;
    private (long At, long Arrived, long Sent) _middle;
    private (long At, long Arrived, long Sent) _last;

    /// <summary>
    /// A climb shows across the recent window only where slow start takes several of them: on a path with
    /// a shorter round trip TCP's climb is over within one, and what climbs across windows is the flow's
    /// own start after a silence (on the 20 Mbit/s link without delay, taking that for a dip let a 1.2x
    /// overload stand for 200 ms at the start of its trial: p99 66 ms, where 19 ms is usual).
    /// </summary>
    private bool _climbsShow;

    /// <summary>The link's minimum round trip, from the kernel (unknown: no climb is looked for).</summary>
    public void NoteRoundTrip(long roundTripTicks) => _climbsShow = 4 * roundTripTicks >= 2 * _halfRecentWindowTicks;

    /// <summary>The lane's totals at <paramref name="now"/>: bytes that ever <paramref name="arrived"/> in it and were <paramref name="sent"/> from it.</summary>
    public DropSchedule.Load Judge(long now, long arrived, long sent)
    {
        _capacity.Update(now, sent);
        if (_last.At == 0)
        {
            _first = _middle = _last = (now, arrived, sent);
        }
        else if (now - _last.At >= _halfRecentWindowTicks)
        {
            (_first, _middle, _last) = (_middle, _last, (now, arrived, sent));
        }

        double elapsed = Math.Max(1, now - _middle.At);
        double arrivalRate = (arrived - _middle.Arrived) / elapsed;
        double sendRate = (sent - _middle.Sent) / elapsed;
        if (sendRate > GrowthMargin * arrivalRate)
        {
            return DropSchedule.Load.Draining;
        }

        double sendRateBefore = (_middle.Sent - _first.Sent) / (double)Math.Max(1, _middle.At - _first.At);
        double capacity = _capacity.BytesPerSecond / ticksPerSecond;
        bool asFastAsLately = capacity > 0 && sendRate >= DipBelow * capacity;
        bool climbing = _climbsShow && sendRate > RisingAbove * sendRateBefore;
        return asFastAsLately && !climbing && arrivalRate > GrowthMargin * sendRate
            ? DropSchedule.Load.Overload
            : DropSchedule.Load.Dip;
    }
}
