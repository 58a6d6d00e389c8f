using System.Diagnostics;

namespace UdpOverTcp.Bench;

/// <summary>
/// Runs trials of one datagram size on one path: offer a rate for the trial's duration, wait for the
/// datagrams still in flight, then count. The CPU time of the tunnel processes and of this process, and
/// the machine's steal time, are taken over the same span.
/// </summary>
internal sealed class TrialRunner : IDisposable
{
    /// <summary>After the generator stops, a trial ends once nothing has arrived for this long...</summary>
    private static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(100);

    /// <summary>...or after this long, whichever comes first.</summary>
    private static readonly TimeSpan MaxDrainTime = TimeSpan.FromSeconds(3);

    /// <summary>Trial numbers are unique across runners, so a late datagram is recognised as stale on a reused socket.</summary>
    private static int s_lastTrial;

    private readonly BenchPath _path;
    private readonly int _size;
    private readonly DatagramGenerator _generator;
    private readonly DatagramSink _sink;

    public TrialRunner(BenchPath path, int size)
    {
        _path = path;
        _size = size;
        _generator = new DatagramGenerator(path.SendSocket, path.Target, size);
        try
        {
            _sink = new DatagramSink(path.ReceiveSocket);
        }
        catch
        {
            _generator.Dispose();
            throw;
        }
    }

    public TrialResult Run(double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        int trial = Interlocked.Increment(ref s_lastTrial);
        _sink.BeginTrial(trial, _size);
        var tunnelCpuBefore = _path.TunnelCpu?.Invoke();
        var benchCpuBefore = BenchCpu();
        var machineBefore = CpuSteal.Read();

        var run = _generator.Run(trial, rate, duration, cancellationToken);
        var counts = Drain(run.Sent);

        var tunnelCpu = _path.TunnelCpu?.Invoke() - tunnelCpuBefore;
        var benchCpu = BenchCpu() - benchCpuBefore;
        var stolen = CpuTimes.StolenFraction(machineBefore, CpuSteal.Read());
        cancellationToken.ThrowIfCancellationRequested();
        return new TrialResult(rate, _size, run, counts, tunnelCpu, benchCpu, stolen);
    }

    public void Dispose()
    {
        _sink.Dispose();
        _generator.Dispose();
    }

    /// <summary>Waits until everything arrived, or nothing more is arriving.</summary>
    private SinkCounts Drain(long sent)
    {
        long stopped = Stopwatch.GetTimestamp();
        while (true)
        {
            var counts = _sink.Snapshot();
            long now = Stopwatch.GetTimestamp();
            long lastActivity = Math.Max(stopped, _sink.LastArrival);
            if (counts.Unique >= sent
                || Stopwatch.GetElapsedTime(lastActivity, now) >= QuietTime
                || Stopwatch.GetElapsedTime(stopped, now) >= MaxDrainTime)
            {
                return counts;
            }

            Thread.Sleep(5);
        }
    }

    private static TimeSpan BenchCpu() => Environment.CpuUsage.TotalTime;
}
