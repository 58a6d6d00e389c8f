using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>What one generator run did.</summary>
/// <param name="Sent">Datagrams handed to the OS, including <paramref name="Refused"/>.</param>
/// <param name="Refused">Datagrams the OS refused at once; they count as lost.</param>
/// <param name="Skipped">Datagrams the schedule wrote off because the generator fell behind (never sent).</param>
/// <param name="Seconds">How long the run took.</param>
public readonly record struct GeneratorRun(long Sent, long Refused, long Skipped, double Seconds)
{
    public double SentPerSecond => Seconds > 0 ? Sent / Seconds : 0;
}

/// <summary>
/// Sends sequence-numbered datagrams at a steady offered rate, a batch per wake-up, sleeping in
/// between: see <see cref="Pacer"/> for the schedule and <see cref="PreciseSleep"/> for why it sleeps.
/// Stamped, each datagram also carries the time its batch was filled, just before it is sent
/// (<see cref="SequencedPayload.FillStamped"/>).
/// Given several targets (--clients: one near tunnel end per client), it sends each batch to the next
/// target in turn, and each target's datagrams are a sequence of their own: stream k of
/// <see cref="TrialSequence.StreamIndex"/> goes to target k.
/// </summary>
public sealed class DatagramGenerator : IDisposable
{
    /// <summary>The longest sleep, so the end of the run is noticed on time.</summary>
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 1000;

    /// <summary>
    /// The shortest sleep: at most 5,000 wake-ups a second, each sending what is due (at 500,000/s,
    /// 100 datagrams: two sendmmsg calls). Waking per datagram would cost the generator, the sink and
    /// the tunnel a context switch each per datagram, on cores they share.
    /// </summary>
    private static readonly long MinSleepTicks = Stopwatch.Frequency / 5000;

    private readonly BatchSender[] _senders;
    private readonly long[] _sentPerStream;
    private readonly bool _stamped;

    public DatagramGenerator(Socket socket, IPEndPoint target, int size, bool stamped)
        : this(socket, [target], size, stamped)
    {
    }

    public DatagramGenerator(Socket socket, IReadOnlyList<IPEndPoint> targets, int size, bool stamped)
    {
        _senders = new BatchSender[targets.Count];
        try
        {
            for (int i = 0; i < targets.Count; i++)
            {
                _senders[i] = BatchSender.Create(socket, targets[i], size);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        _sentPerStream = new long[targets.Count];
        _stamped = stamped;
    }

    public GeneratorRun Run(int trial, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        PreciseSleep.PrepareThread();
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var pacer = new Pacer(rate, start, Stopwatch.Frequency);
        long sent = 0;
        long refused = 0;
        int stream = 0;
        Array.Clear(_sentPerStream);
        long now;
        while ((now = Stopwatch.GetTimestamp()) < end && !cancellationToken.IsCancellationRequested)
        {
            long due = pacer.Due(now, sent);
            if (due <= 0)
            {
                long sleep = Math.Clamp(pacer.TicksUntilNext(now, sent), MinSleepTicks, MaxSleepTicks);
                PreciseSleep.For(Math.Min(sleep, end - now));
                continue;
            }

            while (due > 0)
            {
                int count = (int)Math.Min(due, BatchSender.MaxBatch);
                var sender = _senders[stream];
                long first = _sentPerStream[stream];
                long stamp = _stamped ? Stopwatch.GetTimestamp() : 0;
                for (int i = 0; i < count; i++)
                {
                    long sequence = TrialSequence.Compose(trial, TrialSequence.StreamIndex(stream, first + i));
                    if (_stamped)
                    {
                        SequencedPayload.FillStamped(sender.Slot(i), sequence, stamp);
                    }
                    else
                    {
                        SequencedPayload.Fill(sender.Slot(i), sequence);
                    }
                }

                refused += sender.Send(count);
                _sentPerStream[stream] = first + count;
                stream = stream + 1 == _senders.Length ? 0 : stream + 1;
                sent += count;
                due -= count;
            }
        }

        return new GeneratorRun(sent, refused, pacer.Skipped, (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
    }

    public void Dispose()
    {
        foreach (var sender in _senders)
        {
            sender?.Dispose();
        }
    }
}
