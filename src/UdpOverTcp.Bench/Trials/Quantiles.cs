using System.Diagnostics;

namespace UdpOverTcp.Bench.Trials;

/// <summary>Quantiles of sorted Stopwatch-tick samples (round trips, one-way delays), in microseconds.</summary>
public static class Quantiles
{
    /// <summary>The sample at <paramref name="quantile"/> (0 to 1) of sorted, non-empty <paramref name="ticks"/>, in microseconds.</summary>
    public static double Microseconds(ReadOnlySpan<long> ticks, double quantile) =>
        ticks[(int)Math.Round(quantile * (ticks.Length - 1))] * 1e6 / Stopwatch.Frequency;
}
