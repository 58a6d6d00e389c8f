using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Traffic;

namespace UdpOverTcp.Bench.Trials;

/// <summary>Round-trip times of one path, in microseconds.</summary>
public sealed record LatencyResult(int RoundTrips, int Lost, double P50, double P99, double P999, double Max);

/// <summary>
/// Ping-pong: one datagram out along the path, answered back along it, one at a time. A single
/// thread plays both apps (the sender and the echoing receiver), so the figure holds only the path:
/// no hand-off between the bench's own threads. On plain UDP that thread never sleeps (loopback
/// delivers within the send); through the tunnels it sleeps twice per round trip, as two apps on
/// two hosts would. <see cref="MeasureWithEchoThread"/> gives plain UDP the same two sleeps (the
/// answer comes from a thread of its own): the machine's cost of waking a thread, which the tunnels'
/// four more wake-ups per round trip pay again. Samples go into a preallocated array of Stopwatch
/// ticks; the count and the time are bounded.
/// </summary>
/// <remarks>
/// The waits adapt to the path, so a slow one (a tunnel across hosts with 88 ms round trips) is
/// measured, not declared broken: the first answer may take <see cref="FirstAnswerTimeout"/>; after
/// that a lost datagram is given up after a few times the slowest round trip seen (at least
/// <see cref="MinTimeout"/>). The warm-up ends after <see cref="WarmUp"/> round trips or
/// <see cref="WarmUpBudget"/>, whichever comes first (on a busy machine 500 loopback round trips
/// once outlasted the whole budget and left no sample), and the measurement runs for
/// <see cref="Budget"/> but takes at least <see cref="MinRoundTrips"/> samples, as long as
/// <see cref="MaxBudget"/> allows.
/// </remarks>
public static class LatencyProbe
{
    public const int Size = 64;

    /// <summary>The most samples taken (a fast path reaches this before <see cref="Budget"/> is spent).</summary>
    public const int RoundTrips = 20_000;

    /// <summary>The fewest samples a path that answers gets, however slow, within <see cref="MaxBudget"/>.</summary>
    public const int MinRoundTrips = 50;

    private const int WarmUp = 500;
    private static readonly TimeSpan WarmUpBudget = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>Warm-up and measurement together never take longer than this (50 round trips of 300 ms).</summary>
    private static readonly TimeSpan MaxBudget = TimeSpan.FromSeconds(15);

    /// <summary>How long the first answer may take: a path across the world, or a tunnel still dialling.</summary>
    private static readonly TimeSpan FirstAnswerTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Once answers come, a lost datagram waits this many times the slowest round trip so far...</summary>
    private const int TimeoutPerRoundTrip = 4;

    /// <summary>...but at least this long (loopback answers in microseconds; a scheduler hiccup is not a loss).</summary>
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Give up on a path that loses this many in a row: it has no way back (or no longer has).</summary>
    private const int MaxLostInARow = 5;

    /// <summary>Before any answer, fewer tries: each waits <see cref="FirstAnswerTimeout"/>.</summary>
    private const int MaxLostBeforeFirstAnswer = 2;

    /// <summary>Pings and pongs carry their own trial numbers, far above the throughput trials'.</summary>
    private const int PingTrial = TrialSequence.MaxTrial - 1;
    private const int PongTrial = TrialSequence.MaxTrial;

    /// <summary>Returns null when nothing came back (the path has no way back to the sender).</summary>
    public static LatencyResult? Measure(BenchPath path, CancellationToken cancellationToken) =>
        Measure(path, answeredElsewhere: false, cancellationToken);

    /// <summary>As <see cref="Measure(BenchPath, CancellationToken)"/>, with the far app on a thread of its own.</summary>
    public static LatencyResult? MeasureWithEchoThread(BenchPath path, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        path.ReceiveSocket.ReceiveTimeout = (int)MinTimeout.TotalMilliseconds;   // before the echo's first receive: it must see the stop
        var echo = new Thread(() => Echo(path.ReceiveSocket, stop.Token)) { IsBackground = true, Name = "bench echo" };
        echo.Start();
        try
        {
            return Measure(path, answeredElsewhere: true, cancellationToken);
        }
        finally
        {
            stop.Cancel();
            echo.Join();   // it wakes within the receive timeout
        }
    }

    /// <summary>The far app: answers every ping with its pong, to whoever delivered it.</summary>
    private static void Echo(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(socket.AddressFamily);
        while (!stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue;   // the receive timeout (to look at the stop flag), or an ICMP error about an earlier datagram
            }

            if (n >= SequencedPayload.MinimumSize && TrialSequence.TrialOf(BinaryPrimitives.ReadInt64LittleEndian(buffer)) == PingTrial)
            {
                long sequence = TrialSequence.Compose(PongTrial, TrialSequence.IndexOf(BinaryPrimitives.ReadInt64LittleEndian(buffer)));
                SequencedPayload.Fill(buffer.AsSpan(0, Size), sequence);
                socket.SendTo(buffer.AsSpan(0, Size), SocketFlags.None, from);
            }
        }
    }

    private static LatencyResult? Measure(BenchPath path, bool answeredElsewhere, CancellationToken cancellationToken)
    {
        var samples = new long[RoundTrips];
        var ping = new byte[Size];
        var received = new byte[65536];
        var target = path.Target.Serialize();
        var from = new SocketAddress(path.ReceiveSocket.AddressFamily);
        // The sockets this thread receives on (with an echo thread, only the sender's: the echo keeps its own short timeout).
        var timeout = new ReceiveTimeout(path.SendSocket, answeredElsewhere ? null : path.ReceiveSocket);
        timeout.Set(FirstAnswerTimeout);
        int count = 0;
        int lost = 0;
        int lostInARow = 0;
        int answers = 0;
        long slowest = 0;
        long started = Stopwatch.GetTimestamp();
        long warmUpEnd = started + Ticks(WarmUpBudget);
        long giveUp = started + Ticks(MaxBudget);
        long measuringSince = 0;
        for (int i = 0; count < RoundTrips && !cancellationToken.IsCancellationRequested; i++)
        {
            long now = Stopwatch.GetTimestamp();
            if (now > giveUp)
            {
                break;
            }

            bool measuring = measuringSince != 0;
            if (!measuring && answers > 0 && (answers >= WarmUp || now > warmUpEnd))
            {
                measuringSince = now;
                measuring = true;
            }

            if (measuring && count >= MinRoundTrips && now - measuringSince > Ticks(Budget))
            {
                break;
            }

            SequencedPayload.Fill(ping, TrialSequence.Compose(PingTrial, i));
            long start = Stopwatch.GetTimestamp();
            path.SendSocket.SendTo(ping, SocketFlags.None, target);
            // The far app: take the ping, answer whoever delivered it (the far tunnel end, or the plain sender).
            long pingSequence = TrialSequence.Compose(PingTrial, i);
            long pongSequence = TrialSequence.Compose(PongTrial, i);
            bool answered = answeredElsewhere || Await(path.ReceiveSocket, received, pingSequence, from);
            if (answeredElsewhere)
            {
                answered = Await(path.SendSocket, received, pongSequence, from);
            }
            else if (answered)
            {
                SequencedPayload.Fill(received.AsSpan(0, Size), pongSequence);
                path.ReceiveSocket.SendTo(received.AsSpan(0, Size), SocketFlags.None, from);
                answered = Await(path.SendSocket, received, pongSequence, from);
            }

            long end = Stopwatch.GetTimestamp();
            if (!answered)
            {
                lost++;
                if (++lostInARow == (answers == 0 ? MaxLostBeforeFirstAnswer : MaxLostInARow))
                {
                    break;
                }

                continue;
            }

            lostInARow = 0;
            answers++;
            if (end - start > slowest)
            {
                slowest = end - start;
                timeout.Set(TimeSpan.FromTicks(Math.Max(MinTimeout.Ticks, Math.Min(FirstAnswerTimeout.Ticks,
                    TimeSpan.FromSeconds(TimeoutPerRoundTrip * (double)slowest / Stopwatch.Frequency).Ticks))));
            }

            if (measuring)
            {
                samples[count++] = end - start;
            }
        }

        return count == 0 ? null : Summarise(samples.AsSpan(0, count), lost);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// The receive timeout of the one or two sockets the probe waits on, set only when it changes: a
    /// system call per round trip would show in loopback figures of a few microseconds.
    /// </summary>
    private sealed class ReceiveTimeout(Socket first, Socket? second)
    {
        private int _milliseconds = -1;

        public void Set(TimeSpan timeout)
        {
            int milliseconds = (int)Math.Ceiling(timeout.TotalMilliseconds);
            if (milliseconds == _milliseconds)
            {
                return;
            }

            _milliseconds = milliseconds;
            first.ReceiveTimeout = milliseconds;
            if (second is not null && second != first)
            {
                second.ReceiveTimeout = milliseconds;
            }
        }
    }

    /// <summary>Receives until the datagram with <paramref name="sequence"/> arrives (skipping late ones); false on timeout.</summary>
    private static bool Await(Socket socket, byte[] buffer, long sequence, SocketAddress from)
    {
        while (true)
        {
            int n;
            try
            {
                n = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                return false;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
            {
                continue;   // an ICMP error about an earlier datagram
            }

            if (n >= SequencedPayload.MinimumSize && BinaryPrimitives.ReadInt64LittleEndian(buffer) == sequence)
            {
                return true;
            }
        }
    }

    private static LatencyResult Summarise(Span<long> ticks, int lost)
    {
        ticks.Sort();
        return new LatencyResult(ticks.Length, lost, Quantiles.Microseconds(ticks, 0.50), Quantiles.Microseconds(ticks, 0.99), Quantiles.Microseconds(ticks, 0.999), Quantiles.Microseconds(ticks, 1));
    }

    /// <summary>
    /// Sends a datagram along the path every 100 ms until one arrives, so a path that delivers nothing
    /// fails with a clear message instead of a search that finds 0.
    /// </summary>
    public static bool WaitUntilDelivering(BenchPath path, TimeSpan timeout)
    {
        var ping = new byte[Size];
        var received = new byte[65536];
        var target = path.Target.Serialize();
        var from = new SocketAddress(path.ReceiveSocket.AddressFamily);
        path.ReceiveSocket.ReceiveTimeout = 100;
        long deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        for (int i = 0; Stopwatch.GetTimestamp() < deadline; i++)
        {
            long sequence = TrialSequence.Compose(PingTrial, i);
            SequencedPayload.Fill(ping, sequence);
            path.SendSocket.SendTo(ping, SocketFlags.None, target);
            if (Await(path.ReceiveSocket, received, sequence, from))
            {
                return true;
            }
        }

        return false;
    }
}
