using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A long one-way stream of sequence-numbered datagrams from one app through a tunnel to another,
/// on two threads of its own, with every arrival checked: whole (length and content derive from
/// the sequence number), from the bonded source, and strictly after the previous one of its size class
/// (up to the tunnel's default --priority-size, or larger: a small datagram may overtake larger ones) —
/// so a duplicate or a reordering is caught as well as corruption. Loss is counted, not judged: the
/// caller decides whether it may happen (outages) or not (windowed sending).
/// </summary>
public sealed class SequencedTraffic : IDisposable
{
    private readonly UdpApp _sender;
    private readonly IPEndPoint _tunnelEntry;
    private readonly UdpApp _receiver;
    private readonly IPEndPoint _expectedSource;
    private readonly SemaphoreSlim? _credit;
    private readonly int _burst;
    private readonly long _count;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _sendThread;
    private readonly Thread _receiveThread;
    private readonly List<(long Sequence, TaskCompletionSource Reached)> _waiters = [];
    private long _sent;
    private long _lastReceived = -1;
    private long _lastSmall = -1;
    private long _lastLarge = -1;
    private long _received;
    private long _corrupted;
    private long _outOfOrder;
    private long _wrongSource;
    private Exception? _failure;

    private SequencedTraffic(UdpApp sender, IPEndPoint tunnelEntry, UdpApp receiver, IPEndPoint expectedSource, long count, int burst, int window)
    {
        _sender = sender;
        _tunnelEntry = tunnelEntry;
        _receiver = receiver;
        _expectedSource = expectedSource;
        _count = count;
        _burst = burst;
        _credit = window > 0 ? new SemaphoreSlim(window) : null;
        _receiver.Socket.ReceiveTimeout = 200;
        _sendThread = new Thread(SendLoop) { IsBackground = true, Name = "sequenced sender" };
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "sequenced receiver" };
        _receiveThread.Start();
        _sendThread.Start();
    }

    /// <summary>
    /// Sends <paramref name="burst"/> datagrams about every millisecond until stopped, whatever
    /// happens downstream: load for fault tests, where datagrams sent during an outage are lost.
    /// </summary>
    public static SequencedTraffic Paced(UdpApp sender, IPEndPoint tunnelEntry, UdpApp receiver, IPEndPoint expectedSource, int burst) =>
        new(sender, tunnelEntry, receiver, expectedSource, long.MaxValue, burst, window: 0);

    /// <summary>
    /// Sends <paramref name="count"/> datagrams with at most <paramref name="window"/> in flight, so
    /// no socket buffer can overflow and every datagram must arrive: a lossless soak.
    /// </summary>
    public static SequencedTraffic Windowed(UdpApp sender, IPEndPoint tunnelEntry, UdpApp receiver, IPEndPoint expectedSource, long count, int window) =>
        new(sender, tunnelEntry, receiver, expectedSource, count, burst: 1, window);

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    public long Corrupted => Interlocked.Read(ref _corrupted);

    public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

    public long WrongSource => Interlocked.Read(ref _wrongSource);

    /// <summary>The highest sequence number received so far.</summary>
    public long LastReceived => Interlocked.Read(ref _lastReceived);

    /// <summary>Sent but never received, as of now (includes any still in flight).</summary>
    public long Lost => Sent - Received;

    /// <summary>The length of datagram <paramref name="sequence"/>: mostly small, every 50th large, up to 60 KB.</summary>
    public static int SizeOf(long sequence) =>
        SequencedPayload.MinimumSize + (int)(sequence % 50 == 0 ? sequence * 7919 % 60_000 : sequence * 37 % 1400);

    /// <summary>Completes when a datagram numbered at least <paramref name="sequence"/> has arrived.</summary>
    public Task ReachedAsync(long sequence)
    {
        lock (_waiters)
        {
            if (Interlocked.Read(ref _lastReceived) >= sequence)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((sequence, reached));
            return reached.Task;
        }
    }

    /// <summary>Completes when all <c>count</c> datagrams of a windowed run have arrived.</summary>
    public Task CompletedAsync() => ReachedAsync(_count - 1);

    /// <summary>Stops sending and receiving; rethrows anything that went wrong on the threads.</summary>
    public void Stop()
    {
        _stop.Cancel();
        _credit?.Release(1_000_000);
        _sendThread.Join();
        _receiveThread.Join();
        if (_failure is not null)
        {
            throw new InvalidOperationException("sequenced traffic failed", _failure);
        }
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            Stop();
        }

        _credit?.Dispose();
        _stop.Dispose();
    }

    private void SendLoop()
    {
        var buffer = new byte[65507];
        try
        {
            for (long k = 0; k < _count && !_stop.IsCancellationRequested; k++)
            {
                if (_credit is not null)
                {
                    _credit.Wait(_stop.Token);
                }
                else if (k % _burst == 0 && k > 0)
                {
                    Thread.Sleep(1);
                }

                var datagram = buffer.AsSpan(0, SizeOf(k));
                SequencedPayload.Fill(datagram, k);
                Interlocked.Increment(ref _sent);   // before sending, so a receiver never sees a number beyond Sent
                try
                {
                    _sender.Socket.SendTo(datagram, SocketFlags.None, _tunnelEntry);
                }
                catch (SocketException)
                {
                    // Port unreachable from an earlier datagram while the tunnel end was down: UDP semantics.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int length;
                try
                {
                    length = _receiver.Socket.ReceiveFrom(buffer, ref from);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionReset)
                {
                    continue;
                }

                Check(buffer.AsSpan(0, length), (IPEndPoint)from);
            }
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    private void Check(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        Interlocked.Increment(ref _received);
        _credit?.Release();
        if (!from.Equals(_expectedSource))
        {
            Interlocked.Increment(ref _wrongSource);
        }

        long sequence = datagram.Length >= SequencedPayload.MinimumSize
            ? BitConverter.ToInt64(datagram)
            : -1;
        if (sequence < 0 || sequence >= Sent || SequencedPayload.Verify(datagram, SizeOf(sequence)) != sequence)
        {
            Interlocked.Increment(ref _corrupted);
            return;
        }

        ref long lastOfClass = ref datagram.Length <= TunnelOptions.DefaultPrioritySize ? ref _lastSmall : ref _lastLarge;
        if (sequence <= lastOfClass)
        {
            Interlocked.Increment(ref _outOfOrder);
            return;
        }

        lastOfClass = sequence;
        if (sequence > _lastReceived)
        {
            Interlocked.Exchange(ref _lastReceived, sequence);
        }
        lock (_waiters)
        {
            _waiters.RemoveAll(w =>
            {
                if (w.Sequence > sequence)
                {
                    return false;
                }

                w.Reached.TrySetResult();
                return true;
            });
        }
    }
}
