using System.Diagnostics;
using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Traffic;

namespace UdpOverTcp.Bench.Trials;

/// <summary>How a runner's trials end, and whether they time every datagram.</summary>
/// <param name="QuietTime">After the generator stops, a trial ends once nothing has arrived for this long...</param>
/// <param name="MaxDrainTime">...or after this long, whichever comes first.</param>
/// <param name="OneWayDelays">Stamp every datagram with its send time and report the one-way delays.</param>
public sealed record TrialSettings(TimeSpan QuietTime, TimeSpan MaxDrainTime, bool OneWayDelays)
{
    /// <summary>On loopback nothing waits long anywhere.</summary>
    public static readonly TrialSettings Loopback = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3), OneWayDelays: false);

    /// <summary>
    /// Across a slow link a queue may take a second to drain, and TCP may pause for a retransmission
    /// timeout (200 ms at least) in the middle: the late datagrams are the ones whose delay matters.
    /// </summary>
    public static readonly TrialSettings Link = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), OneWayDelays: true);
}

/// <summary>
/// Runs trials of one datagram size on one path: offer a rate for the trial's duration, wait for the
/// datagrams still in flight, then count. The CPU time of the tunnel processes and of this process, and
/// the machine's steal time, are taken over the same span.
/// </summary>
public sealed class TrialRunner : IDisposable
{
    /// <summary>Delay samples beyond the offered rate's count (the generator's catch-up bursts; a margin).</summary>
    private const int DelayHeadroom = 4096;

    /// <summary>Trial numbers are unique across runners, so a late datagram is recognised as stale on a reused socket.</summary>
    private static int s_lastTrial;

    private readonly BenchPath _path;
    private readonly int _size;
    private readonly TrialSettings _settings;
    private readonly DatagramGenerator _generator;
    private readonly DatagramSink _sink;

    public TrialRunner(BenchPath path, int size, TrialSettings? settings = null)
    {
        _path = path;
        _size = size;
        _settings = settings ?? TrialSettings.Loopback;
        _generator = new DatagramGenerator(path.SendSocket, path.Targets, size, _settings.OneWayDelays);
        try
        {
            _sink = new DatagramSink(path.ReceiveSocket, path.Targets.Count);
        }
        catch
        {
            _generator.Dispose();
            throw;
        }
    }

    public TrialResult Run(double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        int trial = NextTrial();
        var delays = _settings.OneWayDelays ? DelayArray(rate, duration) : null;
        _sink.BeginTrial(trial, _size, delays);
        var tunnelCpuBefore = _path.TunnelCpu?.Invoke();
        var serverCpuBefore = _path.ServerCpu?.Invoke();
        var benchCpuBefore = BenchCpu();
        var machineBefore = CpuSteal.Read();

        var run = _generator.Run(trial, rate, duration, cancellationToken);
        var counts = Drain(_sink, run.Sent, _settings);
        var delay = delays is null ? null : OneWayDelay.Of(delays.AsSpan(0, _sink.EndDelays()));

        var tunnelCpu = _path.TunnelCpu?.Invoke() - tunnelCpuBefore;
        var serverCpu = _path.ServerCpu?.Invoke() - serverCpuBefore;
        var benchCpu = BenchCpu() - benchCpuBefore;
        var stolen = CpuTimes.StolenFraction(machineBefore, CpuSteal.Read());
        cancellationToken.ThrowIfCancellationRequested();
        return new TrialResult(rate, _size, run, counts, tunnelCpu, benchCpu, stolen, delay, serverCpu);
    }

    public void Dispose()
    {
        _sink.Dispose();
        _generator.Dispose();
    }

    /// <summary>Room for the one-way delay of every datagram a schedule of <paramref name="rate"/> can send in <paramref name="duration"/> (and the second it may overrun by).</summary>
    public static long[] DelayArray(double rate, TimeSpan duration) =>
        new long[(int)Math.Min(Array.MaxLength, (rate * (duration.TotalSeconds + 1)) + DelayHeadroom)];

    /// <summary>A trial number no runner used before in this process.</summary>
    public static int NextTrial() => Interlocked.Increment(ref s_lastTrial);

    /// <summary>Waits until everything <paramref name="sink"/> was sent arrived, or nothing more is arriving.</summary>
    public static SinkCounts Drain(DatagramSink sink, long sent, TrialSettings settings)
    {
        long stopped = Stopwatch.GetTimestamp();
        while (true)
        {
            var counts = sink.Snapshot();
            long now = Stopwatch.GetTimestamp();
            long lastActivity = Math.Max(stopped, sink.LastArrival);
            if (counts.Unique >= sent
                || Stopwatch.GetElapsedTime(lastActivity, now) >= settings.QuietTime
                || Stopwatch.GetElapsedTime(stopped, now) >= settings.MaxDrainTime)
            {
                return counts;
            }

            Thread.Sleep(5);
        }
    }

    public static TimeSpan BenchCpu() => Environment.CpuUsage.TotalTime;
}
