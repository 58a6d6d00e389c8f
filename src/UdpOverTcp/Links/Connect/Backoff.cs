namespace UdpOverTcp.Links.Connect;

/// <summary>
/// Capped exponential reconnect delay with ±20 % jitter, so two clients restarted together do not
/// reconnect in lockstep. Reset after a link that stayed up (a peer that accepts and drops at once,
/// as `ssh -L` does when nothing listens on the far side, keeps backing off).
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _cap;
    private TimeSpan _next;

    public Backoff(TimeSpan initial, TimeSpan cap)
    {
        _initial = initial;
        _cap = cap;
        _next = initial;
    }

    public static Backoff Default() => new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>The delay before the next attempt; doubles the one after. Never above the cap, jitter included.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_cap.Ticks, current.Ticks * 2));
        double jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks(Math.Min(_cap.Ticks, (long)(current.Ticks * jitter)));
    }

    public void Reset() => _next = _initial;
}
