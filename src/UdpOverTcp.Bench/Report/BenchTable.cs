using System.Globalization;
using UdpOverTcp.Bench.Trials;

namespace UdpOverTcp.Bench.Report;

/// <summary>The human-readable report: one row per size and path, then the latencies.</summary>
public static partial class BenchTable
{
    /// <summary>Steal from which the table explains what it does to the figures.</summary>
    private const double NoticeableSteal = 0.01;

    public static void Write(TextWriter output, BenchReport report)
    {
        bool search = report.FixedRate is null;
        string steal = report.StolenFraction is { } stolen ? Invariant($" ({stolen * 100:0.0} % steal)") : "";
        output.WriteLine($"udp-over-tcp {report.Version} bench: {report.Cores} cores{steal}, {report.Os} ({report.RuntimeIdentifier})");
        string tunnelArgs = report.TunnelArgs.Length > 0 ? $", arguments added: {report.TunnelArgs}" : "";
        output.WriteLine($"tunnels: {report.Tunnels}, data path {report.DataPath}{tunnelArgs}; generator -> {report.TunnelSendTo}, sink on {report.TunnelReceiveOn} ({report.SinkReceiveBufferBytes.ToString("N0", CultureInfo.InvariantCulture)} B receive buffer)");
        if (report.Clients is { } clients)
        {
            output.WriteLine($"{clients} clients: one listen end ({report.ClientsFarCommand}) and {clients} connect ends, the rate spread over them a batch each in turn");
        }

        output.WriteLine(search
            ? Invariant($"lossless rate: the highest offered rate with under {TrialResult.LossThreshold * 100:0.#} % loss, found with {report.TrialSeconds:0.##} s trials")
            : Invariant($"one {report.TrialSeconds:0.##} s trial per size and path at {report.FixedRate:N0} datagrams/s offered"));
        output.WriteLine();
        string rateColumn = search ? "lossless/s" : "delivered/s";
        output.WriteLine($"{"size",6}  {"path",-11}  {rateColumn,12}  {"MB/s",8}  {"loss",7}  {"reord",6}  {"corrupt",7}  {"dup",5}  {"trials",6}  {"cpu s/1M",8}  {"vs plain",8}");
        bool generatorLimited = false;
        bool atMaximum = false;
        foreach (var size in report.Sizes)
        {
            generatorLimited |= size.Plain.Search.Limit == SearchLimit.Generator || size.Tunnel.Search.Limit == SearchLimit.Generator;
            atMaximum |= size.Plain.Search.Limit == SearchLimit.Maximum || size.Tunnel.Search.Limit == SearchLimit.Maximum;
            output.WriteLine(Row(size.Size, size.Plain, search, ratio: null));
            output.WriteLine(Row(size.Size, size.Tunnel, search, size.TunnelToPlain));
            if (size.Clients is { } many)
            {
                generatorLimited |= many.Search.Limit == SearchLimit.Generator;
                atMaximum |= many.Search.Limit == SearchLimit.Maximum;
                output.WriteLine(Row(size.Size, many, search, PlainRatio(size, many)));
            }
        }

        output.WriteLine();
        output.WriteLine(report.Clients is null
            ? "reord, corrupt, dup: summed over every trial. cpu s/1M: user+sys seconds of both tunnel processes per million datagrams."
            : "reord, corrupt, dup: summed over every trial, each client's datagrams a sequence of their own. cpu s/1M: user+sys seconds of\nthe tunnel processes per million datagrams (with clients: the listen end and every connect end, summed).");
        foreach (var size in report.Sizes)
        {
            if (size.ClientsToTunnel is { } ratio)
            {
                string server = size.Clients?.Search.Shown.ServerCpuPerMillion is { } cpu ? Invariant($"; the listen end alone used {cpu:0.00} s of CPU per million") : "";
                output.WriteLine(Invariant($"{size.Size} B: {report.Clients} clients carry {ratio * 100:0.0} % of the single client's {(search ? "lossless" : "delivered")} rate{server}."));
            }
        }

        if (generatorLimited)
        {
            output.WriteLine("*: the generator could not offer a higher rate (CPU): the bench's limit, not the path's.");
        }

        if (atMaximum)
        {
            output.WriteLine(Invariant($"+: lossless at {RateSearch.MaxRate:N0}/s, the highest rate the search tries."));
        }

        if (report.SinkReceiveBufferBytes < BenchPath.SocketBufferBytes)
        {
            output.WriteLine(Invariant($"sink: its receive buffer is {report.SinkReceiveBufferBytes:N0} B of the {BenchPath.SocketBufferBytes:N0} asked for (net.core.rmem_max caps it; run as root or"));
            output.WriteLine("raise the sysctl): when the sink is not scheduled for a moment its buffer overflows, on either path.");
        }

        if (report.StolenFraction >= NoticeableSteal)
        {
            output.WriteLine(Invariant($"steal: the hypervisor ran other guests for {report.StolenFraction * 100:0.0} % of this machine's CPU time during the run; on a shared VM"));
            output.WriteLine("that comes in bursts that lose datagrams on any path, so figures vary from run to run: compare runs with little steal.");
        }

        output.WriteLine();
        if (report.Clients is not null)
        {
            output.WriteLine("latency: not measured with --clients (run the bench without it for the ping-pong).");
            return;
        }

        output.WriteLine($"latency, {LatencyProbe.Size} B ping-pong  {"round trips",11}  {"p50",9}  {"p99",9}  {"p999",9}  {"max",9}");
        output.WriteLine(LatencyRow("plain UDP", report.PlainLatency));
        output.WriteLine(LatencyRow("plain UDP, echo thread", report.PlainEchoThreadLatency));
        output.WriteLine(LatencyRow("tunnel", report.TunnelLatency));
        output.WriteLine("plain UDP: one thread sends and answers, never sleeping. echo thread: the answer comes from a second");
        output.WriteLine("thread, so each round trip wakes two sleeping threads, as two real apps would; the tunnels wake four more.");
    }

    private static string Row(int size, PathReport path, bool search, double? ratio)
    {
        var shown = path.Search.Shown;
        double rate = search ? path.LosslessRate : shown.DeliveredRate;
        double megabytes = search ? path.LosslessMegabytesPerSecond : shown.MegabytesPerSecond;
        string mark = path.Search.Limit == SearchLimit.Generator ? "*" : path.Search.Limit == SearchLimit.Maximum ? "+" : "";
        string cpu = shown.TunnelCpuPerMillion is { } c ? Invariant($"{c:0.00}") : "-";
        string versus = ratio is { } r ? Invariant($"{r * 100:0.0} %") : "";
        return Invariant($"{size,6}  {path.Name,-11}  {rate.ToString("N0", CultureInfo.InvariantCulture) + mark,12}  {megabytes,8:N1}  {shown.LossFraction * 100,6:0.00}%  {path.TotalReordered,6}  {path.TotalCorrupted,7}  {path.TotalDuplicated,5}  {path.Search.Trials.Count,6}  {cpu,8}  {versus,8}");
    }

    /// <summary>A path's rate over plain UDP's, as <see cref="SizeReport.TunnelToPlain"/> computes it for the tunnel.</summary>
    private static double? PlainRatio(SizeReport size, PathReport path) => (size with { Tunnel = path }).TunnelToPlain;

    private static string LatencyRow(string name, LatencyResult? latency) => latency is null
        ? $"  {name,-24}  no answers: the path has no way back to the sender"
        : Invariant($"  {name,-24}  {latency.RoundTrips,11:N0}  {latency.P50,6:0} us  {latency.P99,6:0} us  {latency.P999,6:0} us  {latency.Max,6:0} us");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
