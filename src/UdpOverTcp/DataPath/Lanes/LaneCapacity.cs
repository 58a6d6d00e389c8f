namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// The most a lane of a link has lately been seen to send, so that its queue (<see cref="TimeBoundedQueue"/>)
/// can tell an overload from a transient. While the lane sends about as fast as it lately did and its
/// queue still grows, more arrives than the link carries: an overload. When it sends much less than it
/// lately did, the link is in a dip (slow start, restart after idle, BBR's PROBE_RTT, a loss recovery)
/// that ends by itself. Counted in frame bytes the send loop handed to the kernel (which keeps only a
/// few milliseconds of them unsent, so that is what the link delivered), over windows of
/// <see cref="Window"/>, the highest of the last <see cref="Memory"/> kept; after the lane has been idle
/// for longer than that, it is not known again.
/// Used only by the link's send loop; nothing allocated after construction.
/// </summary>
public sealed class LaneCapacity
{
    /// <summary>Long enough that a token bucket's burst (64 KB behind tbf) or BBR's probing for bandwidth does not pass for capacity.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a measured capacity is believed: longer than the idle spells between an app's bursts, so
    /// that each burst's slow start is known for a dip. A path whose capacity falls for longer than this
    /// is judged by CoDel's law only, which slows the flows that respond to loss (TCP inside WireGuard).
    /// </summary>
    public static readonly TimeSpan Memory = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A window that carried less says nothing of what the link can carry (a ping now and then, a
    /// keepalive): it counts as nothing. 64 KB in 500 ms is 1 Mbit/s; below that the capacity stays
    /// unknown, and the lane drops by CoDel's law only.
    /// </summary>
    public const long MinimumSampleBytes = 64 * 1024;

    private readonly long _ticksPerSecond;
    private readonly long _windowTicks;

    /// <summary>The rate of each window of the memory (bytes per second), oldest overwritten first.</summary>
    private readonly double[] _windows;
    private int _nextWindow;

    private long _windowStart;
    private long _sentAtWindowStart;

    public LaneCapacity(long ticksPerSecond)
    {
        _ticksPerSecond = ticksPerSecond;
        _windowTicks = (long)(Window.TotalSeconds * ticksPerSecond);
        _windows = new double[(int)(Memory / Window)];
    }

    /// <summary>The most the lane has sent over a window lately, in bytes per second (0: not known yet).</summary>
    public double BytesPerSecond { get; private set; }

    /// <summary>Closes the window when it is over, with the bytes the lane has <paramref name="sent"/> so far (at each look at the lane's head).</summary>
    public void Update(long now, long sent)
    {
        if (_windowStart == 0)
        {
            (_windowStart, _sentAtWindowStart) = (now, sent);
            return;
        }

        long elapsed = now - _windowStart;
        if (elapsed < _windowTicks)
        {
            return;
        }

        if (elapsed >= _windowTicks * _windows.Length)
        {
            // Nothing looked at for longer than the memory: nothing known of the link any more.
            Array.Clear(_windows);
            BytesPerSecond = 0;
            (_windowStart, _sentAtWindowStart) = (now, sent);
            return;
        }

        // A window that spans an idle spell measures less than the link can do, and counts as such: the
        // memory keeps the highest. Windows that passed while nothing was looked at count as nothing.
        for (long i = _windowTicks; i < elapsed - _windowTicks; i += _windowTicks)
        {
            Remember(0);
        }

        long carried = sent - _sentAtWindowStart;
        Remember(carried < MinimumSampleBytes ? 0 : carried * (double)_ticksPerSecond / elapsed);
        (_windowStart, _sentAtWindowStart) = (now, sent);
    }

    private void Remember(double rate)
    {
        _windows[_nextWindow] = rate;
        _nextWindow = (_nextWindow + 1) % _windows.Length;
        double highest = 0;
        foreach (double remembered in _windows)
        {
            highest = Math.Max(highest, remembered);
        }

        BytesPerSecond = highest;
    }
}
