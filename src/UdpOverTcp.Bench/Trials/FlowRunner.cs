using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Traffic;

namespace UdpOverTcp.Bench.Trials;

/// <summary>
/// Runs trials of several flows at once on one path (<see cref="FlowGenerator"/>: --workload mixed
/// and bursts), and reports each flow on its own: what it sent, what of it arrived, its one-way delays.
/// The tunnel's CPU time is over the whole trial, so it is given with the first flow only.
/// </summary>
public sealed class FlowRunner : IDisposable
{
    private readonly BenchPath _path;
    private readonly IReadOnlyList<Flow> _flows;
    private readonly TrialSettings _settings;
    private readonly FlowGenerator _generator;
    private readonly DatagramSink _sink;

    public FlowRunner(BenchPath path, IReadOnlyList<Flow> flows, TrialSettings settings)
    {
        _path = path;
        _flows = flows;
        _settings = settings;
        _generator = new FlowGenerator(path.SendSocket, path.Target, flows);
        try
        {
            _sink = new DatagramSink(path.ReceiveSocket, flows.Count);
        }
        catch
        {
            _generator.Dispose();
            throw;
        }
    }

    /// <summary>One trial of all the flows for <paramref name="duration"/>: a result per flow, in their order.</summary>
    public TrialResult[] Run(TimeSpan duration, CancellationToken cancellationToken)
    {
        int trial = TrialRunner.NextTrial();
        var delays = _flows.Select(f => TrialRunner.DelayArray(f.Rate, duration)).ToArray();
        _sink.BeginFlows(trial, _flows.Select(f => f.Size).ToArray(), delays);
        var tunnelCpuBefore = _path.TunnelCpu?.Invoke();
        var benchCpuBefore = TrialRunner.BenchCpu();
        var machineBefore = CpuSteal.Read();

        var runs = _generator.Run(trial, duration, cancellationToken);
        TrialRunner.Drain(_sink, runs.Sum(r => r.Sent), _settings);
        int[] delayCounts = _sink.EndFlowDelays();

        var tunnelCpu = _path.TunnelCpu?.Invoke() - tunnelCpuBefore;
        var benchCpu = TrialRunner.BenchCpu() - benchCpuBefore;
        var stolen = CpuTimes.StolenFraction(machineBefore, CpuSteal.Read());
        cancellationToken.ThrowIfCancellationRequested();
        return _flows.Select((flow, k) => new TrialResult(
            flow.Rate, flow.Size, runs[k], _sink.Snapshot(k), k == 0 ? tunnelCpu : null, benchCpu, stolen,
            OneWayDelay.Of(delays[k].AsSpan(0, delayCounts[k])))).ToArray();
    }

    public void Dispose()
    {
        _sink.Dispose();
        _generator.Dispose();
    }
}
