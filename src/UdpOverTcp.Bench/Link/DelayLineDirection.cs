using System.Buffers;
using System.Diagnostics;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// One direction of the delay line: frames that arrive on <c>from</c> leave by <c>to</c>
/// <see cref="DelayLineSettings.DelayMilliseconds"/> after they arrived, in the order they arrived,
/// unless the PRNG drops them. Two threads: a receiver that stamps each frame as it arrives and queues
/// it, and a sender that waits precisely (<see cref="PreciseSleep"/>) until the head of the queue is
/// due. With one constant delay the queue's order is its due order, so a FIFO is the schedule.
/// Two threads rather than one: a frame due to leave must not wait for the next arrival, and a frame
/// arriving must be stamped when it comes, not when a sleep ends.
/// </summary>
public sealed class DelayLineDirection : IDisposable
{
    /// <summary>The longest frame the veth can hand over with offloads off (1500 B MTU plus the Ethernet header), with room to spare.</summary>
    private const int MaxFrame = 2048;

    /// <summary>
    /// The fewest frames the line may hold; more for a fast link or a long delay (see the constructor).
    /// Past the limit a frame is dropped and counted, as a router's full queue would.
    /// </summary>
    private const int MinHeld = 1000;

    /// <summary>Frames per second are counted as if they were this small (TCP's ACKs are 66 B; most are larger): a bound, not an estimate.</summary>
    private const int SmallFrameBits = 100 * 8;

    /// <summary>The sender's longest sleep, so it notices the end of the run.</summary>
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 20;

    /// <summary>The sender's shortest nap while nothing is held.</summary>
    private static readonly long IdleNapTicks = Stopwatch.Frequency / 5000;

    private readonly PacketSocket _from;
    private readonly PacketSocket _to;
    private readonly long _delayTicks;
    private readonly double _loss;
    private readonly Random _random;
    private readonly Queue<(byte[] Frame, int Length, long Due)> _held = new();
    private readonly Lock _gate = new();
    private readonly Thread _receiver;
    private readonly Thread _sender;
    private readonly int _maxHeld;
    private volatile bool _stopping;
    private long _forwarded;
    private long _dropped;
    private long _overflowed;

    /// <param name="linkBitsPerSecond">The rate the tbf before the line lets through: what it may have to hold is that rate over the delay.</param>
    public DelayLineDirection(string name, PacketSocket from, PacketSocket to, double delayMilliseconds, double loss, int seed, long linkBitsPerSecond)
    {
        // The delay's worth of the link's frames, and 100 ms more for a thread that waited for a core.
        _maxHeld = (int)Math.Clamp(linkBitsPerSecond / SmallFrameBits * ((delayMilliseconds / 1000) + 0.1), MinHeld, Array.MaxLength / 2);
        Name = name;
        _from = from;
        _to = to;
        _delayTicks = (long)Math.Round(delayMilliseconds * Stopwatch.Frequency / 1000);
        _loss = loss;
        _random = new Random(seed);
        _receiver = new Thread(Receive) { IsBackground = true, Name = $"delay line {name} in" };
        _sender = new Thread(Send) { IsBackground = true, Name = $"delay line {name} out" };
        _receiver.Start();
        _sender.Start();
    }

    /// <summary>"X -> Y".</summary>
    public string Name { get; }

    /// <summary>Frames sent on, dropped by the PRNG, and dropped because too many were held.</summary>
    public DelayLineCounts Counts => new(Interlocked.Read(ref _forwarded), Interlocked.Read(ref _dropped), Interlocked.Read(ref _overflowed));

    /// <summary>Stops both threads (within the receive timeout or the longest sleep); frames still held are let go.</summary>
    public void Dispose()
    {
        _stopping = true;
        _receiver.Join();
        _sender.Join();
    }

    /// <remarks>
    /// A frame is stamped when this thread gets it: if the thread waited for a core, the frame leaves
    /// that much later, as from a busy router. The report's one-way delays show any such excess.
    /// </remarks>
    private void Receive()
    {
        var buffer = new byte[MaxFrame];
        while (!_stopping)
        {
            int length = _from.Receive(buffer);
            if (length == 0)
            {
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            if (_loss > 0 && _random.NextDouble() < _loss)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            var frame = ArrayPool<byte>.Shared.Rent(length);
            buffer.AsSpan(0, length).CopyTo(frame);
            lock (_gate)
            {
                if (_held.Count >= _maxHeld)
                {
                    ArrayPool<byte>.Shared.Return(frame);
                    Interlocked.Increment(ref _overflowed);
                    continue;
                }

                _held.Enqueue((frame, length, now + _delayTicks));
            }
        }
    }

    private void Send()
    {
        PreciseSleep.PrepareThread();
        while (!_stopping)
        {
            long due;
            lock (_gate)
            {
                due = _held.TryPeek(out var head) ? head.Due : -1;
            }

            long now = Stopwatch.GetTimestamp();
            if (due < 0 || due > now)
            {
                // Nothing held: a frame that comes now is due a whole delay later, so a nap of a quarter of
                // the delay misses nothing (with no delay, one of 200 µs: that late at most).
                PreciseSleep.For(due < 0 ? Math.Min(MaxSleepTicks, Math.Max(_delayTicks / 4, IdleNapTicks)) : Math.Min(due - now, MaxSleepTicks));
                continue;
            }

            (byte[] Frame, int Length, long Due) next;
            lock (_gate)
            {
                next = _held.Dequeue();
            }

            if (_to.Send(next.Frame.AsSpan(0, next.Length)))
            {
                Interlocked.Increment(ref _forwarded);
            }
            else
            {
                Interlocked.Increment(ref _overflowed);
            }

            ArrayPool<byte>.Shared.Return(next.Frame);
        }
    }
}
