namespace UdpOverTcp.Bench.Trials;

/// <summary>One-way delays of the datagrams delivered in a trial, in microseconds: from the sender's send call to the sink's receive.</summary>
/// <param name="Count">How many delays were recorded (each delivered datagram once).</param>
public sealed record OneWayDelay(int Count, double P50, double P95, double P99, double Max)
{
    /// <summary>Sorts <paramref name="ticks"/> (Stopwatch ticks) and summarises them; null when there are none.</summary>
    public static OneWayDelay? Of(Span<long> ticks)
    {
        if (ticks.IsEmpty)
        {
            return null;
        }

        ticks.Sort();
        return new OneWayDelay(ticks.Length, Quantiles.Microseconds(ticks, 0.50), Quantiles.Microseconds(ticks, 0.95), Quantiles.Microseconds(ticks, 0.99), Quantiles.Microseconds(ticks, 1));
    }
}
