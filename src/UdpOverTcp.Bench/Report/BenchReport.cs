using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Trials;

namespace UdpOverTcp.Bench.Report;

/// <summary>One path at one size: its search and the sums over all its trials.</summary>
public sealed record PathReport(string Name, SearchResult Search)
{
    /// <summary>The lossless rate in datagrams/s: what the best passing trial really sent; 0 if none passed.</summary>
    public double LosslessRate => Search.Best?.SentRate ?? 0;

    /// <summary>Payload megabytes per second at <see cref="LosslessRate"/>.</summary>
    public double LosslessMegabytesPerSecond => Search.Best?.MegabytesPerSecond ?? 0;

    // Correctness over every trial, overloaded ones included: a tunnel must never reorder, corrupt or duplicate.
    public long TotalSent => Search.Trials.Sum(t => t.Sent);
    public long TotalDelivered => Search.Trials.Sum(t => t.Counts.Unique);
    public long TotalReordered => Search.Trials.Sum(t => t.Counts.Reordered);
    public long TotalCorrupted => Search.Trials.Sum(t => t.Counts.Corrupted);
    public long TotalDuplicated => Search.Trials.Sum(t => t.Counts.Duplicated);
}

/// <param name="Clients">With --clients N: the same traffic spread over N clients through one server; else null.</param>
public sealed record SizeReport(int Size, PathReport Plain, PathReport Tunnel, PathReport? Clients = null)
{
    /// <summary>N clients over the single client: lossless rates when searching, delivered rates at a fixed rate.</summary>
    public double? ClientsToTunnel
    {
        get
        {
            if (Clients is null)
            {
                return null;
            }

            bool search = Tunnel.Search.Limit != SearchLimit.None;
            double tunnel = search ? Tunnel.LosslessRate : Tunnel.Search.Shown.DeliveredRate;
            double clients = search ? Clients.LosslessRate : Clients.Search.Shown.DeliveredRate;
            return tunnel > 0 ? clients / tunnel : null;
        }
    }

    /// <summary>Tunnel over plain UDP: lossless rates when searching, delivered rates at a fixed rate.</summary>
    public double? TunnelToPlain
    {
        get
        {
            bool search = Plain.Search.Limit != SearchLimit.None;
            double plain = search ? Plain.LosslessRate : Plain.Search.Shown.DeliveredRate;
            double tunnel = search ? Tunnel.LosslessRate : Tunnel.Search.Shown.DeliveredRate;
            return plain > 0 ? tunnel / plain : null;
        }
    }
}

/// <summary>Everything one bench run measured, with what is needed to say how.</summary>
/// <param name="SinkReceiveBufferBytes">The receive buffer the OS granted the sink's socket (<see cref="BenchPath.SocketBufferBytes"/> asked).</param>
/// <param name="StolenFraction">The machine's CPU time the hypervisor took during the whole run (<see cref="CpuSteal"/>); null where unknown.</param>
/// <param name="TunnelArgs">The --tunnel-args both started tunnel ends got, as given ("" for none).</param>
/// <param name="Clients">--clients N; null without it (and then no latency is skipped).</param>
/// <param name="ClientsFarCommand">With --clients: how the one listen end was started.</param>
/// <param name="Tls">--tls: the started tunnels spoke TLS 1.3 and the HTTP Upgrade, with a throwaway certificate.</param>
public sealed record BenchReport(
    string Version,
    int Cores,
    string Os,
    string RuntimeIdentifier,
    double TrialSeconds,
    long? FixedRate,
    string Tunnels,
    string DataPath,
    string TunnelSendTo,
    string TunnelReceiveOn,
    int SinkReceiveBufferBytes,
    IReadOnlyList<SizeReport> Sizes,
    LatencyResult? PlainLatency,
    LatencyResult? PlainEchoThreadLatency,
    LatencyResult? TunnelLatency,
    double? StolenFraction,
    string TunnelArgs = "",
    int? Clients = null,
    string? ClientsFarCommand = null,
    bool Tls = false);
