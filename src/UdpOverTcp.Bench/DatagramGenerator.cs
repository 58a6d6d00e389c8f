using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench;

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
/// </summary>
internal sealed class DatagramGenerator : IDisposable
{
    /// <summary>The longest sleep, so the end of the run is noticed on time.</summary>
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 1000;

    /// <summary>
    /// The shortest sleep: at most 5,000 wake-ups a second, each sending what is due (at 500,000/s,
    /// 100 datagrams: two sendmmsg calls). Waking per datagram would cost the generator, the sink and
    /// the tunnel a context switch each per datagram, on cores they share.
    /// </summary>
    private static readonly long MinSleepTicks = Stopwatch.Frequency / 5000;

    private readonly BatchSender _sender;
    private readonly bool _stamped;

    public DatagramGenerator(Socket socket, IPEndPoint target, int size, bool stamped)
    {
        _sender = BatchSender.Create(socket, target, size);
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
                long stamp = _stamped ? Stopwatch.GetTimestamp() : 0;
                for (int i = 0; i < count; i++)
                {
                    if (_stamped)
                    {
                        SequencedPayload.FillStamped(_sender.Slot(i), TrialSequence.Compose(trial, sent + i), stamp);
                    }
                    else
                    {
                        SequencedPayload.Fill(_sender.Slot(i), TrialSequence.Compose(trial, sent + i));
                    }
                }

                refused += _sender.Send(count);
                sent += count;
                due -= count;
            }
        }

        return new GeneratorRun(sent, refused, pacer.Skipped, (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
    }

    public void Dispose() => _sender.Dispose();
}
