using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;

namespace UdpOverTcp.Bench.Report;

/// <summary>One flow at one load across the shaped link: plain UDP and the tunnel at the same offered rate.</summary>
/// <param name="Load">The offered rate as a multiple of the link's rate (0.8, 1.2, 2); for the small flow of --workload mixed, the bulk flow's beside it.</param>
/// <param name="OfferedBitsPerSecond">UDP payload bits per second offered (during the on phases, for bursts).</param>
/// <param name="TunnelDrops">The near tunnel end's udp->tcp counters over the tunnel's trial (all its flows); null if its statistics line could not be read.</param>
/// <param name="Flow">"steady"; "bursts" (1 s on, 2 s off); "bulk" and "small" (--workload mixed).</param>
public sealed record LinkLoad(double Load, double OfferedBitsPerSecond, TrialResult Plain, TrialResult Tunnel, TunnelDrops? TunnelDrops, string Flow = "steady")
{
    /// <summary>The tunnel's goodput over plain UDP's; null when plain UDP delivered nothing.</summary>
    public double? GoodputTunnelToPlain => Plain.GoodputBitsPerSecond > 0 ? Tunnel.GoodputBitsPerSecond / Plain.GoodputBitsPerSecond : null;

    /// <summary>The tunnel's one-way delay p99 minus plain UDP's, in microseconds; null when either delivered nothing.</summary>
    public double? P99TunnelMinusPlain => Tunnel.Delay is { } tunnel && Plain.Delay is { } plain ? tunnel.P99 - plain.P99 : null;
}

/// <summary>Everything one --link run measured, with what is needed to say how.</summary>
/// <param name="Qdisc">The qdisc the bench asked for on X's side: "tbf rate 20mbit burst 64kb latency 20ms".</param>
/// <param name="QdiscShown">The same as tc shows it.</param>
/// <param name="CongestionControl">TCP congestion control in X, where the tunnel's TCP sender is.</param>
/// <param name="TunnelArgs">The --tunnel-args both tunnel ends got ("" for none).</param>
/// <param name="Path">The delay line between X and Y and what it did; null without one.</param>
/// <param name="Tls">--tls: the tunnel ends spoke TLS 1.3 and the HTTP Upgrade, with a throwaway certificate.</param>
public sealed record LinkReport(
    string Version,
    int Cores,
    string Os,
    string Kernel,
    string RuntimeIdentifier,
    LinkRate Rate,
    string Qdisc,
    string QdiscShown,
    string CongestionControl,
    int Size,
    double TrialSeconds,
    string DataPath,
    string TunnelArgs,
    IReadOnlyList<LinkLoad> Loads,
    double? StolenFraction,
    LinkWorkload Workload = LinkWorkload.Steady,
    LinkPath? Path = null,
    bool Tls = false)
{
    /// <summary>The order of the trials, as the report states it.</summary>
    public const string Order = "interleaved: at each load plain UDP, then the tunnel; loads in increasing order";
}

/// <summary>The delay line of a --link run (--delay, --loss) and what each direction did with the frames over the whole run.</summary>
public sealed record LinkPath(double DelayMilliseconds, double Loss, int Seed, DelayLineCounts TowardsY, DelayLineCounts TowardsX);
