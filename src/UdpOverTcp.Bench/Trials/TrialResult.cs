using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Traffic;

namespace UdpOverTcp.Bench.Trials;

/// <summary>One trial: datagrams of one size offered at one rate for a fixed time, and what arrived.</summary>
/// <param name="TunnelCpu">User + system time of the tunnel processes during the trial; null when they are not ours to measure.</param>
/// <param name="BenchCpu">User + system time of this process (generator and sink) during the trial.</param>
/// <param name="StolenFraction">The machine's CPU time the hypervisor took during the trial (<see cref="CpuSteal"/>); null where unknown.</param>
/// <param name="Delay">The one-way delays of the datagrams delivered, when the trial timed them (<see cref="TrialSettings.OneWayDelays"/>).</param>
public sealed record TrialResult(double OfferedRate, int Size, GeneratorRun Generator, SinkCounts Counts, TimeSpan? TunnelCpu, TimeSpan BenchCpu, double? StolenFraction = null, OneWayDelay? Delay = null, TimeSpan? ServerCpu = null)
{
    /// <summary>A trial passes below 0.1 % loss.</summary>
    public const double LossThreshold = 0.001;

    /// <summary>
    /// A trial passes only if the generator really offered (nearly) the rate: on a busy machine it may
    /// not get the CPU to, and a lossless trial far below the rate asked for says little about it.
    /// The lossless rate reported is what was really sent.
    /// </summary>
    public const double MinimumKeptUp = 0.9;

    public long Sent => Generator.Sent;
    public long Lost => Math.Max(0, Sent - Counts.Unique);
    public double LossFraction => Sent == 0 ? 0 : Lost / (double)Sent;
    public double SentRate => Generator.SentPerSecond;
    public double DeliveredRate => Generator.Seconds > 0 ? Counts.Unique / Generator.Seconds : 0;
    public double MegabytesPerSecond => DeliveredRate * Size / 1e6;

    /// <summary>Payload bits delivered per second of the send window (datagrams that arrive while the queues drain count too).</summary>
    public double GoodputBitsPerSecond => DeliveredRate * Size * 8;
    public bool KeptUp => SentRate >= MinimumKeptUp * OfferedRate;
    public bool Passed => KeptUp && LossFraction < LossThreshold && Sent > 0;

    /// <summary>CPU seconds per million datagrams delivered.</summary>
    public double? TunnelCpuPerMillion => TunnelCpu is { } cpu && Counts.Unique > 0 ? cpu.TotalSeconds * 1e6 / Counts.Unique : null;

    /// <summary>With --clients: the listen end's share of <see cref="TunnelCpuPerMillion"/>, what the server costs.</summary>
    public double? ServerCpuPerMillion => ServerCpu is { } cpu && Counts.Unique > 0 ? cpu.TotalSeconds * 1e6 / Counts.Unique : null;

    public double? BenchCpuPerMillion => Counts.Unique > 0 ? BenchCpu.TotalSeconds * 1e6 / Counts.Unique : null;
}
