using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;

namespace UdpOverTcp.Bench.Report;

/// <summary>The --link report: what was built and run, then one row per load and path, as a Markdown table.</summary>
public static partial class BenchTable
{
    public static void Write(TextWriter output, LinkReport report)
    {
        string steal = report.StolenFraction is { } stolen ? Invariant($" ({stolen * 100:0.0} % steal)") : "";
        output.WriteLine($"udp-over-tcp {report.Version} bench --link {report.Rate.Text}: {report.Cores} cores{steal}, {report.Os}, kernel {report.Kernel} ({report.RuntimeIdentifier})");
        output.WriteLine($"link: veth between two network namespaces X and Y, both directions shaped with {report.Qdisc} (tc shows: {report.QdiscShown}); TCP congestion control in X: {report.CongestionControl}");
        output.WriteLine(PathText(report.Path));
        output.WriteLine(Invariant($"{WorkloadText(report)}; {report.TrialSeconds:0.##} s per trial"));
        output.WriteLine($"tunnel: connect end in X, listen end in Y, TCP across the link{(report.Tls ? TunnelTlsArgs.Described : "")}; data path {report.DataPath}; arguments added: {(report.TunnelArgs.Length > 0 ? report.TunnelArgs : "none")}");
        output.WriteLine($"order: {LinkReport.Order}");
        output.WriteLine();
        bool flows = report.Workload != LinkWorkload.Steady;
        output.WriteLine(flows
            ? "| offered | flow | path | goodput | loss | delay p50 | p95 | p99 | max | reord/dup/corrupt | tunnel drops | vs plain |"
            : "| offered | path | goodput | loss | delay p50 | p99 | max | reord/dup/corrupt | tunnel drops | vs plain |");
        output.WriteLine(flows
            ? "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
            : "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        bool behind = false;
        foreach (var load in report.Loads)
        {
            output.WriteLine(LinkRow(load, load.Plain, "plain UDP", drops: "", versus: "", flows, ref behind));
            string versus = (load.GoodputTunnelToPlain, load.P99TunnelMinusPlain) switch
            {
                ({ } ratio, { } p99) => Invariant($"goodput {ratio * 100:0.0} %, p99 {(p99 >= 0 ? "+" : "-")}{Milliseconds(Math.Abs(p99))}"),
                ({ } ratio, null) => Invariant($"goodput {ratio * 100:0.0} %"),
                _ => "",
            };
            output.WriteLine(LinkRow(load, load.Tunnel, "tunnel", TunnelDropsText(load.TunnelDrops), versus, flows, ref behind));
        }

        output.WriteLine();
        output.WriteLine(Invariant($"offered and goodput: UDP payload bits per second (the link counts Ethernet frames: {report.Size} B of payload is {report.Size + 42} B on the wire)."));
        output.WriteLine("goodput: payload delivered per second of the send window; what was still queued when the window closed arrives later and counts");
        output.WriteLine("too, so a path that queues a lot shows more than the link carries. delay: one way, from the sender's send call to the receiver's receive.");
        output.WriteLine("reord/dup/corrupt: reordered, duplicated, corrupted datagrams (must be 0). tunnel drops: the connect end's udp->tcp drops during the");
        output.WriteLine("trial (its statistics line, SIGUSR1): backpressure, and stale (waited too long) where the tunnel has that counter.");
        if (behind)
        {
            output.WriteLine(Invariant($"*: the generator sent under {TrialResult.MinimumKeptUp * 100:0} % of the offered rate (it did not get the CPU): that row measured less than it says."));
        }

        if (report.StolenFraction >= NoticeableSteal)
        {
            output.WriteLine(Invariant($"steal: the hypervisor ran other guests for {report.StolenFraction * 100:0.0} % of this machine's CPU time during the run; delays on a busy machine include waits for a CPU."));
        }
    }

    /// <summary>One path's row; with <paramref name="flows"/> (mixed, bursts) also the flow and the delay's p95.</summary>
    private static string LinkRow(LinkLoad load, TrialResult trial, string path, string drops, string versus, bool flows, ref bool behind)
    {
        string mark = trial.KeptUp ? "" : "*";
        behind |= !trial.KeptUp;
        string delay = (trial.Delay, flows) switch
        {
            ({ } d, false) => $"{Milliseconds(d.P50)} | {Milliseconds(d.P99)} | {Milliseconds(d.Max)}",
            ({ } d, true) => $"{Milliseconds(d.P50)} | {Milliseconds(d.P95)} | {Milliseconds(d.P99)} | {Milliseconds(d.Max)}",
            (null, false) => "- | - | -",
            (null, true) => "- | - | - | -",
        };
        string offered = load.Flow switch
        {
            "small" => Invariant($"{load.OfferedBitsPerSecond / 1e6:0.00} Mbit/s (beside {load.Load:0.0#}x){mark} | small"),
            _ when flows => Invariant($"{load.OfferedBitsPerSecond / 1e6:0.0} Mbit/s ({load.Load:0.0#}x){mark} | {load.Flow}"),
            _ => Invariant($"{load.OfferedBitsPerSecond / 1e6:0.0} Mbit/s ({load.Load:0.0#}x){mark}"),
        };
        return Invariant($"| {offered} | {path} | {trial.GoodputBitsPerSecond / 1e6:0.00} Mbit/s | {trial.LossFraction * 100:0.00} % | {delay} | {trial.Counts.Reordered}/{trial.Counts.Duplicated}/{trial.Counts.Corrupted} | {drops} | {versus} |");
    }

    /// <summary>The header's "path:" line: the delay line and what it did, or that there is none.</summary>
    private static string PathText(LinkPath? path) => path is { } p
        ? Invariant($"path: a delay line of the bench's in a third namespace M between X and Y (veth vx-mx and my-vy, offloads off): {p.DelayMilliseconds:0.###} ms one way, {p.Loss * 100:0.###} % loss each way (seed {p.Seed}); frames X -> Y {p.TowardsY.Forwarded} forwarded, {p.TowardsY.Dropped} dropped; Y -> X {p.TowardsX.Forwarded} forwarded, {p.TowardsX.Dropped} dropped{(p.TowardsY.Overflowed + p.TowardsX.Overflowed > 0 ? Invariant($"; {p.TowardsY.Overflowed + p.TowardsX.Overflowed} overflowed") : "")}")
        : "path: no delay line: X and Y on one veth pair (no added delay, no loss)";

    /// <summary>The header's line on what was sent.</summary>
    private static string WorkloadText(LinkReport report) => report.Workload switch
    {
        LinkWorkload.Mixed => $"flows: a bulk flow of {report.Size} B datagrams and a small flow of {Flow.Small.Size} B at {Flow.Small.Rate:0}/s, from one socket of an app in X to one in Y (through the tunnel the same pair of ends), paced, each stamped with its send time",
        LinkWorkload.Bursts => Invariant($"flows: {report.Size} B datagrams from an app in X to an app in Y, each stamped with its send time: bursts at {LinkBench.BurstLoad:0.0#}x (1 s on, 2 s silent; goodput per second on), then steady flows"),
        _ => $"flow: {report.Size} B datagrams from an app in X to an app in Y, paced, each stamped with its send time (one host, one clock)",
    };

    /// <summary>Microseconds as milliseconds: two decimals below 10 ms (a quiet link's delays), one above.</summary>
    public static string Milliseconds(double microseconds) => microseconds < 10_000
        ? Invariant($"{microseconds / 1000:0.00} ms")
        : Invariant($"{microseconds / 1000:0.0} ms");

    /// <summary>"12 backpressure, 3 stale" (no stale where the tunnel has no such counter); "unknown" without its statistics line.</summary>
    public static string TunnelDropsText(TunnelDrops? drops) => drops switch
    {
        null => "unknown",
        { Stale: { } stale } => Invariant($"{drops.Backpressure} backpressure, {stale} stale"),
        _ => Invariant($"{drops.Backpressure} backpressure"),
    };
}
