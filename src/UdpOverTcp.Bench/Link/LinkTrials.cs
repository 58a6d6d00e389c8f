using System.Globalization;
using UdpOverTcp.Bench.Report;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// The trials of a --link run: each the same offer over plain UDP, then through the tunnel, with the
/// connect end's drops read around the tunnel's trial, and with -v a line per path as it ends.
/// </summary>
public sealed class LinkTrials(
    BenchPath plain, BenchPath tunnel, Func<TunnelDrops?> statistics, bool verbose, BenchProgress progress, CancellationToken cancellationToken)
{
    private TunnelDrops? _statistics = statistics();

    /// <summary>One steady flow of <paramref name="size"/> B datagrams at <paramref name="datagramsPerSecond"/> (the classic --link row).</summary>
    public LinkLoad Steady(double load, double offeredBitsPerSecond, int size, double datagramsPerSecond, TimeSpan duration)
    {
        var (plainResults, tunnelResults, drops) = Interleaved(Invariant($"load {load:0.0#}x"), ["steady"], duration, path =>
        {
            using var runner = new TrialRunner(path, size, TrialSettings.Link);
            return [runner.Run(datagramsPerSecond, duration, cancellationToken)];
        });
        return new LinkLoad(load, offeredBitsPerSecond, plainResults[0], tunnelResults[0], drops);
    }

    /// <summary>Several flows at once from one socket (<see cref="FlowRunner"/>), a row per flow; <paramref name="load"/> is the first flow's.</summary>
    public IEnumerable<LinkLoad> Flows(double load, IReadOnlyList<Flow> flows, TimeSpan duration)
    {
        // "load 0.7x bursts" for one flow; "load 0.5x" for several, each line naming its flow.
        string what = flows.Count == 1 ? Invariant($"load {load:0.0#}x {flows[0].Name}") : Invariant($"load {load:0.0#}x");
        var (plainResults, tunnelResults, drops) = Interleaved(what, flows.Select(f => f.Name).ToArray(), duration, path =>
        {
            using var runner = new FlowRunner(path, flows, TrialSettings.Link);
            return runner.Run(duration, cancellationToken);
        });
        return flows.Select((flow, k) => new LinkLoad(load, flow.Rate * flow.Size * 8, plainResults[k], tunnelResults[k], drops, flow.Name));
    }

    private (TrialResult[] Plain, TrialResult[] Tunnel, TunnelDrops? Drops) Interleaved(string what, string[] flowNames, TimeSpan duration, Func<BenchPath, TrialResult[]> trial)
    {
        progress.Show(Invariant($"bench: {what}, {plain.Name}, {duration.TotalSeconds:0.#} s"));
        var plainResults = trial(plain);
        Show(what, plain.Name, flowNames, plainResults, isTunnel: false, drops: null);

        progress.Show(Invariant($"bench: {what}, {tunnel.Name}, {duration.TotalSeconds:0.#} s"));
        var tunnelResults = trial(tunnel);
        var now = statistics();
        var drops = now is not null && _statistics is not null ? now.Since(_statistics) : null;
        _statistics = now;
        Show(what, tunnel.Name, flowNames, tunnelResults, isTunnel: true, drops);
        return (plainResults, tunnelResults, drops);
    }

    /// <summary>With -v: "bench: link trial, load 0.8x, plain UDP: offered ..." per flow (the flow's name after the path when there are several).</summary>
    private void Show(string what, string path, string[] flowNames, TrialResult[] results, bool isTunnel, TunnelDrops? drops)
    {
        if (!verbose)
        {
            return;
        }

        progress.Clear();
        for (int k = 0; k < results.Length; k++)
        {
            var result = results[k];
            string flow = results.Length > 1 ? $" {flowNames[k]}" : "";
            string delay = result.Delay is { } d ? $"delay p50 {BenchTable.Milliseconds(d.P50)} p99 {BenchTable.Milliseconds(d.P99)} max {BenchTable.Milliseconds(d.Max)}" : "nothing delivered";
            string steal = result.StolenFraction is { } stolen ? Invariant($", steal {stolen * 100:0.0} %") : "";
            string tunnelDrops = isTunnel ? $", tunnel drops: {BenchTable.TunnelDropsText(drops)}" : "";
            Console.Error.WriteLine(Invariant(
                $"bench: link trial, {what}, {path}{flow}: offered {result.OfferedRate * result.Size * 8 / 1e6:0.00} Mbit/s, sent {result.SentRate * result.Size * 8 / 1e6:0.00}, goodput {result.GoodputBitsPerSecond / 1e6:0.00} Mbit/s, loss {result.LossFraction * 100:0.000} %, {delay}, reordered {result.Counts.Reordered} duplicated {result.Counts.Duplicated} corrupted {result.Counts.Corrupted}{tunnelDrops}{steal}"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
