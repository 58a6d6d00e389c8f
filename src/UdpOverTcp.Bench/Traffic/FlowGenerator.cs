using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// Sends several flows (<see cref="Flow"/>) from one socket to one target, each paced on its own
/// (<see cref="Pacer"/>) and stamped, flow k as stream k of <see cref="TrialSequence.StreamIndex"/>:
/// through the tunnel they share its one pair of ends, as an app's flows would. A flow with an on/off
/// cycle is paced on its on time only: its pacer's clock stands still while it is off, so a burst
/// starts at its rate, without catching up on the silence.
/// </summary>
public sealed class FlowGenerator : IDisposable
{
    /// <summary>The longest sleep, so the end of the run is noticed on time.</summary>
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 1000;

    /// <summary>The shortest: at most 5,000 wake-ups a second, each sending what is due (as <see cref="DatagramGenerator"/>).</summary>
    private static readonly long MinSleepTicks = Stopwatch.Frequency / 5000;

    private readonly IReadOnlyList<Flow> _flows;
    private readonly BatchSender[] _senders;

    public FlowGenerator(Socket socket, IPEndPoint target, IReadOnlyList<Flow> flows)
    {
        _flows = flows;
        _senders = new BatchSender[flows.Count];
        try
        {
            for (int i = 0; i < flows.Count; i++)
            {
                _senders[i] = BatchSender.Create(socket, target, flows[i].Size, gso: false);   // sizes differ: see Create
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs every flow for <paramref name="duration"/>; per flow what it did, its seconds those it was on.</summary>
    public GeneratorRun[] Run(int trial, TimeSpan duration, CancellationToken cancellationToken)
    {
        PreciseSleep.PrepareThread();
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var pacers = _flows.Select(f => new Pacer(f.Rate, start, Stopwatch.Frequency)).ToArray();
        var sent = new long[_flows.Count];
        var refused = new long[_flows.Count];
        long now;
        while ((now = Stopwatch.GetTimestamp()) < end && !cancellationToken.IsCancellationRequested)
        {
            long elapsed = now - start;
            long sleep = MaxSleepTicks;
            for (int k = 0; k < _flows.Count; k++)
            {
                var flow = _flows[k];
                long paced = start + flow.OnTicks(elapsed);   // the flow's own clock: on time only
                for (long due = pacers[k].Due(paced, sent[k]); due > 0;)
                {
                    int count = (int)Math.Min(due, BatchSender.MaxBatch);
                    refused[k] += Send(k, trial, sent[k], count);
                    sent[k] += count;
                    due -= count;
                }

                long wait = flow.IsOn(elapsed)
                    ? Math.Min(pacers[k].TicksUntilNext(paced, sent[k]), flow.TicksUntilPhaseChange(elapsed))
                    : flow.TicksUntilPhaseChange(elapsed);
                sleep = Math.Min(sleep, wait);
            }

            PreciseSleep.For(Math.Min(Math.Max(sleep, MinSleepTicks), end - now));
        }

        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        long ran = Math.Min(Stopwatch.GetTimestamp(), end) - start;
        return _flows.Select((flow, k) => new GeneratorRun(sent[k], refused[k], pacers[k].Skipped, flow.IsSteady ? seconds : flow.OnTicks(ran) / (double)Stopwatch.Frequency)).ToArray();
    }

    public void Dispose()
    {
        foreach (var sender in _senders)
        {
            sender?.Dispose();
        }
    }

    /// <summary>Fills and sends <paramref name="count"/> datagrams of flow <paramref name="k"/>, numbered from <paramref name="first"/>; returns how many the OS refused.</summary>
    private long Send(int k, int trial, long first, int count)
    {
        var sender = _senders[k];
        long stamp = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            SequencedPayload.FillStamped(sender.Slot(i), TrialSequence.Compose(trial, TrialSequence.StreamIndex(k, first + i)), stamp);
        }

        return sender.Send(count);
    }
}
