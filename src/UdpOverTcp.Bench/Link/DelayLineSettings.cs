using System.Globalization;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// What the delay line does to each direction (<see cref="DelayLine"/>): holds every frame for
/// <paramref name="DelayMilliseconds"/> (one way) and drops each with probability
/// <paramref name="Loss"/> (0 to 1), deciding with a PRNG seeded from <paramref name="Seed"/>
/// (X -> Y with the seed, Y -> X with seed + 1), so a run's drops can be repeated.
/// </summary>
public readonly record struct DelayLineSettings(double DelayMilliseconds, double Loss, int Seed)
{
    /// <summary>"25 ms one way, 0.5 % loss each way (seed 1234)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{DelayMilliseconds:0.###} ms one way, {Loss * 100:0.###} % loss each way (seed {Seed})");
}
