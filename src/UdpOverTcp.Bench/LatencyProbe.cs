using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench;

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
internal static class LatencyProbe
{
    public const int Size = 64;
    public const int RoundTrips = 20_000;
    private const int WarmUp = 500;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>One lost datagram waits this long; loopback answers in microseconds.</summary>
    private const int TimeoutMilliseconds = 200;

    /// <summary>Give up on a path that loses this many in a row: it has no way back.</summary>
    private const int MaxLostInARow = 5;

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
        path.ReceiveSocket.ReceiveTimeout = TimeoutMilliseconds;   // before the echo's first receive: it must see the stop
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
        path.SendSocket.ReceiveTimeout = TimeoutMilliseconds;
        path.ReceiveSocket.ReceiveTimeout = TimeoutMilliseconds;
        int count = 0;
        int lost = 0;
        int lostInARow = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(Budget.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < WarmUp + RoundTrips && !cancellationToken.IsCancellationRequested; i++)
        {
            if (i >= WarmUp && Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }

            SequencedPayload.Fill(ping, TrialSequence.Compose(PingTrial, i));
            long start = Stopwatch.GetTimestamp();
            path.SendSocket.SendTo(ping, SocketFlags.None, target);
            // The far app: take the ping, answer whoever delivered it (the far tunnel end, or the plain sender).
            bool answered = answeredElsewhere || Await(path.ReceiveSocket, received, TrialSequence.Compose(PingTrial, i), from);
            if (answeredElsewhere)
            {
                answered = Await(path.SendSocket, received, TrialSequence.Compose(PongTrial, i), from);
            }
            else if (answered)
            {
                SequencedPayload.Fill(received.AsSpan(0, Size), TrialSequence.Compose(PongTrial, i));
                path.ReceiveSocket.SendTo(received.AsSpan(0, Size), SocketFlags.None, from);
                answered = Await(path.SendSocket, received, TrialSequence.Compose(PongTrial, i), from);
            }

            long end = Stopwatch.GetTimestamp();
            if (!answered)
            {
                lost++;
                if (++lostInARow == MaxLostInARow)
                {
                    return null;
                }

                continue;
            }

            lostInARow = 0;
            if (i >= WarmUp)
            {
                samples[count++] = end - start;
            }
        }

        return count == 0 ? null : Summarise(samples.AsSpan(0, count), lost);
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
        return new LatencyResult(ticks.Length, lost, Quantile(ticks, 0.50), Quantile(ticks, 0.99), Quantile(ticks, 0.999), Quantile(ticks, 1));
    }

    /// <summary>The sample at <paramref name="quantile"/> of sorted <paramref name="ticks"/>, in microseconds.</summary>
    private static double Quantile(ReadOnlySpan<long> ticks, double quantile) =>
        ticks[(int)Math.Round(quantile * (ticks.Length - 1))] * 1e6 / Stopwatch.Frequency;

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
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
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
