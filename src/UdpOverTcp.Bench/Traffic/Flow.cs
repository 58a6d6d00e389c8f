using System.Diagnostics;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// One flow of a --link trial with several (<see cref="FlowGenerator"/>): stamped datagrams of
/// <paramref name="Size"/> bytes at <paramref name="Rate"/> per second, steadily, or only during the
/// on phase of an on/off cycle (<paramref name="On"/>, then <paramref name="Off"/> silent, from the
/// start). A flow is a stream of its own in the datagrams' sequence numbers, so the sink tells them apart.
/// </summary>
/// <param name="Name">What the report calls it: "bulk", "small", "bursts".</param>
public sealed record Flow(string Name, int Size, double Rate, TimeSpan On = default, TimeSpan Off = default)
{
    /// <summary>--workload mixed: the small flow beside the bulk one (a game's or a voice call's datagrams).</summary>
    public static Flow Small => new("small", 100, 50);

    /// <summary>--workload bursts: on for 1 s, silent for 2.</summary>
    public static Flow Bursts(int size, double rate) => new("bursts", size, rate, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

    public bool IsSteady => Off == TimeSpan.Zero;

    /// <summary>Of <paramref name="elapsed"/> ticks since the start, those in on phases (all of them for a steady flow).</summary>
    public long OnTicks(long elapsed)
    {
        if (IsSteady)
        {
            return elapsed;
        }

        long on = OnPhaseTicks;
        long period = PeriodTicks;
        return (elapsed / period * on) + Math.Min(elapsed % period, on);
    }

    /// <summary>Ticks from <paramref name="elapsed"/> until the flow next turns on or off (never, for a steady flow: long.MaxValue).</summary>
    public long TicksUntilPhaseChange(long elapsed)
    {
        if (IsSteady)
        {
            return long.MaxValue;
        }

        long on = OnPhaseTicks;
        long period = PeriodTicks;
        long position = elapsed % period;
        return position < on ? on - position : period - position;
    }

    /// <summary>Whether the flow is in an on phase <paramref name="elapsed"/> ticks after the start.</summary>
    public bool IsOn(long elapsed) => IsSteady || elapsed % PeriodTicks < OnPhaseTicks;

    private long OnPhaseTicks => On.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;

    private long PeriodTicks => OnPhaseTicks + (Off.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
}
