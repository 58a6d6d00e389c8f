namespace UdpOverTcp.Transport;

/// <summary>
/// The most a link has lately been seen to carry, so that its lanes (<see cref="TimeBoundedQueue"/>) can
/// tell an overload from a transient: a queue that stands because more arrives than the link can carry
/// must be dropped from at once, one that stands because the link carries less than usual for a moment
/// (slow start, restart after idle, BBR's PROBE_RTT, a loss recovery) drains by itself once the moment
/// is over. A link that carried 20 Mbit/s a minute ago can carry it again. Counted in frame bytes that
/// the send loop handed to the kernel, from both lanes (the kernel keeps only a few milliseconds of them
/// unsent, so that is what the link delivered), over windows of <see cref="Window"/>, the highest of the
/// last <see cref="Memory"/> kept. Until a window has been measured the capacity is unknown, and no
/// queue is taken for an overload.
/// Used only by the link's send loop; nothing allocated after construction.
/// </summary>
public sealed class LinkCapacity
{
    /// <summary>Long enough that a token bucket's burst (64 KB behind tbf) or BBR's probing for bandwidth does not pass for capacity.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a measured capacity is believed: longer than the idle spells between an app's bursts, so
    /// that each burst's slow start is known for a transient. A path whose capacity falls for longer than
    /// this is judged by CoDel's law only, which slows the flows that respond to loss (TCP inside WireGuard).
    /// </summary>
    public static readonly TimeSpan Memory = TimeSpan.FromSeconds(60);

    private readonly long _ticksPerSecond;
    private readonly long _windowTicks;

    /// <summary>The rate of each window of the memory (bytes per second), oldest overwritten first.</summary>
    private readonly double[] _windows;
    private int _nextWindow;

    private long _sent;
    private long _windowStart;
    private long _sentAtWindowStart;

    public LinkCapacity(long ticksPerSecond)
    {
        _ticksPerSecond = ticksPerSecond;
        _windowTicks = (long)(Window.TotalSeconds * ticksPerSecond);
        _windows = new double[(int)(Memory / Window)];
    }

    /// <summary>The most the link has taken over a window lately, in bytes per second (0: not measured yet).</summary>
    public double BytesPerSecond { get; private set; }

    /// <summary><paramref name="bytes"/> went to the kernel, from either lane.</summary>
    public void NoteSent(long bytes) => _sent += bytes;

    /// <summary>Closes the window when it is over (called before each look at a lane's head).</summary>
    public void Update(long now)
    {
        if (_windowStart == 0)
        {
            (_windowStart, _sentAtWindowStart) = (now, _sent);
            return;
        }

        long elapsed = now - _windowStart;
        if (elapsed < _windowTicks)
        {
            return;
        }

        // A window that spans an idle spell measures less than the link can do, and counts as such: the
        // memory keeps the highest. Windows that passed while nothing was looked at count as nothing.
        long windows = Math.Min(elapsed / _windowTicks, _windows.Length);
        for (long i = 1; i < windows; i++)
        {
            Remember(0);
        }

        Remember((_sent - _sentAtWindowStart) * (double)_ticksPerSecond / elapsed);
        (_windowStart, _sentAtWindowStart) = (now, _sent);
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
