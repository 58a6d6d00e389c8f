namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// When a queue's head is dropped: the decision the <see cref="TimeBoundedQueue"/> asks for at each frame
/// it is about to send, from the age of that frame. Nothing is dropped while the head is younger than the
/// target (--queue-delay), nor while it has been older for less than an interval: a burst, a TCP loss
/// recovery or a moment without CPU goes through whole. After that it depends on the lane's
/// <see cref="Load"/> (see <see cref="TimeBoundedQueue"/>):
/// <list type="bullet">
/// <item><b>Draining</b>: the queue shrinks by itself; nothing is dropped.</item>
/// <item><b>Dip</b> (the link sends less than it lately did, or ever faster, or its rate is not known yet):
/// the head may wait an interval longer (<see cref="GentleInterval"/>, longer on a long path) before it
/// counts as standing, then it goes gently, by CoDel's control law (RFC 8289): one frame, then the next
/// after interval/√count while the queue still stands, so the drops come sooner and sooner until the flows
/// inside slow down (WireGuard's inner TCP does after one loss). A dip of a few round trips (slow start,
/// restart after idle, BBR's PROBE_RTT: cwnd 4 for 200 ms) costs delay, not a tenth of a burst.</item>
/// <item><b>Overload</b> (the link sends as fast as it lately did, and the queue still grows): at once,
/// everything older than the target. No law of gradual drops keeps up with more than the link carries,
/// and the delay would grow to the pipe's byte bound (seconds on a slow link) before it did. This holds
/// a standing overload to about the target, after <see cref="OverloadInterval"/>.</item>
/// </list>
/// An overload that comes back soon after the last one is dropped from at once; a queue that stands again
/// soon after the last spell starts from the drop rate that spell reached, as CoDel does.
/// One instance per queue, used only by the consumer; nothing allocated.
/// </summary>
public sealed class DropSchedule
{
    /// <summary>How long an overload may stand before its head is dropped at once (the rule: docs/architecture.md, "The UDP → TCP queue"; what it gives: docs/performance.md, "Latency under load").</summary>
    public static readonly TimeSpan OverloadInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>CoDel's interval, for paths of up to about 25 ms round trip; longer paths get <see cref="GentleIntervalRoundTrips"/> round trips.</summary>
    public static readonly TimeSpan GentleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>On a long path, a transient lasts a few round trips: the interval covers this many, when that is longer than <see cref="GentleInterval"/>.</summary>
    public const int GentleIntervalRoundTrips = 4;

    /// <summary>A standing queue that comes back within this many intervals of the last one is dropped from at once.</summary>
    private const int ReturnIntervals = 16;

    /// <summary>What the lane's rates say of a queue that stands (see <see cref="TimeBoundedQueue"/>).</summary>
    public enum Load
    {
        /// <summary>More leaves than arrives: the queue shrinks by itself.</summary>
        Draining,

        /// <summary>The link sends less than it lately did, or its rate is not known yet.</summary>
        Dip,

        /// <summary>The link sends as fast as it lately did, and more arrives.</summary>
        Overload,
    }

    public enum Verdict
    {
        /// <summary>Send the head.</summary>
        Keep,

        /// <summary>Drop one frame at the head and ask again.</summary>
        DropFrame,

        /// <summary>Drop the head's stretch (all of it that is older than the target) and ask again.</summary>
        DropStretch,
    }

    private readonly long _targetTicks;
    private readonly long _overloadIntervalTicks;
    private long _gentleIntervalTicks;

    /// <summary>When the head first waited longer than the target (0: it is younger now).</summary>
    private long _aboveSince;

    private bool _dropping;

    /// <summary>The spell began in an overload: it drops at once until the queue is young again.</summary>
    private bool _overloadSpell;

    /// <summary>When the last dropping spell ended (0: never).</summary>
    private long _droppingEndedAt;

    /// <summary>CoDel's count (drops in this spell, or carried over from the last), the count at the start of the spell, and when the next drop is due.</summary>
    private int _count;
    private int _lastCount;
    private long _dropNext;

    public DropSchedule(long targetTicks, long ticksPerSecond)
    {
        _targetTicks = targetTicks;
        _overloadIntervalTicks = (long)(OverloadInterval.TotalSeconds * ticksPerSecond);
        _gentleIntervalTicks = (long)(GentleInterval.TotalSeconds * ticksPerSecond);
        BaseGentleIntervalTicks = _gentleIntervalTicks;
    }

    private long BaseGentleIntervalTicks { get; }

    /// <summary>The link's round trip (its minimum, from the kernel): a long path gets a longer gentle interval.</summary>
    public void NoteRoundTrip(long roundTripTicks) =>
        _gentleIntervalTicks = Math.Max(BaseGentleIntervalTicks, GentleIntervalRoundTrips * roundTripTicks);

    /// <summary>Whether the head, queued at <paramref name="queuedAt"/>, is sent or dropped now.</summary>
    public Verdict Decide(long now, long queuedAt, Load load)
    {
        if (now - queuedAt <= _targetTicks)
        {
            if (_dropping)
            {
                _dropping = false;
                _droppingEndedAt = now;
            }

            _aboveSince = 0;
            return Verdict.Keep;
        }

        if (load == Load.Draining)
        {
            return Verdict.Keep;
        }

        // An overload lasts through a dip: when PROBE_RTT halts the link in the middle of one, what arrives
        // meanwhile could never be carried anyway, and the delay would grow by the whole dip.
        bool overloaded = load == Load.Overload || (_dropping && _overloadSpell);
        long interval = overloaded ? _overloadIntervalTicks : _gentleIntervalTicks;
        if (!overloaded && !_dropping && now - queuedAt <= _targetTicks + interval)
        {
            // A dip: the link will carry it soon. The head may wait an interval longer before it counts as
            // standing, so that PROBE_RTT (200 ms) or a restart costs delay, not datagrams.
            _aboveSince = 0;
            return Verdict.Keep;
        }

        if (_aboveSince == 0)
        {
            _aboveSince = queuedAt + _targetTicks + (overloaded ? 0 : interval);   // the moment the head crossed the target (and a dip's allowance)
        }

        if (!_dropping)
        {
            // An overload that returns is dropped from at once; a gentle spell always waits its interval
            // (a transient is let through whole) but starts from the drop rate the last spell reached.
            bool returning = _droppingEndedAt != 0 && now - _droppingEndedAt < ReturnIntervals * interval;
            if (!(overloaded && returning) && now - _aboveSince < interval)
            {
                return Verdict.Keep;
            }

            _dropping = true;
            _overloadSpell = overloaded;
            int delta = _count - _lastCount;
            _count = returning && delta > 1 ? delta : 1;
            _lastCount = _count;
            _dropNext = now + ControlLaw(interval);
            return overloaded ? Verdict.DropStretch : Verdict.DropFrame;
        }

        if (overloaded)
        {
            _overloadSpell = true;   // a gentle spell that turns into an overload stays one until the queue is young
            return Verdict.DropStretch;
        }

        if (now < _dropNext)
        {
            return Verdict.Keep;
        }

        _count++;
        _dropNext += ControlLaw(interval);
        return Verdict.DropFrame;
    }

    /// <summary>CoDel's control law: the next drop comes interval/√count after the last.</summary>
    private long ControlLaw(long interval) => (long)(interval / Math.Sqrt(Math.Max(1, _count)));
}
