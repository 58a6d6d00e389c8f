using System.Diagnostics;
using System.Net.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>What a sink counted during one trial.</summary>
/// <param name="Unique">Datagrams of the trial that arrived whole, each counted once.</param>
/// <param name="Duplicated">Second (and later) copies of a datagram.</param>
/// <param name="Reordered">Datagrams that arrived after one with a higher sequence number.</param>
/// <param name="Corrupted">Datagrams of the wrong length or with a wrong byte.</param>
/// <param name="Stale">Late datagrams of an earlier trial, set aside.</param>
public readonly record struct SinkCounts(long Unique, long Duplicated, long Reordered, long Corrupted, long Stale);

/// <summary>
/// Receives sequence-numbered datagrams on its own thread, a batch per system call, and counts per
/// trial what arrived whole, duplicated, reordered or corrupted (<see cref="SequenceTracker"/>).
/// In a trial given an array for one-way delays, the datagrams are stamped
/// (<see cref="SequencedPayload.FillStamped"/>) and the sink writes each first copy's delay there: the
/// time the batch was received minus the time it was sent, in Stopwatch ticks.
/// With several streams (one per client, --clients) each stream's datagrams are a sequence of their
/// own (<see cref="TrialSequence.StreamIndex"/>), tracked by a tracker of their own, and the counts are
/// the sums: a datagram of one client arriving before an earlier one of another is not reordering.
/// Streams may also be flows of their own (--workload mixed: a small flow beside a bulk one, from one
/// socket): <see cref="BeginFlows"/> gives each stream its size and its own array of delays, and
/// <see cref="Snapshot(int)"/> counts one stream.
/// The counters are guarded by a lock taken once per batch, so a snapshot is always consistent.
/// The socket is the caller's; stop the sink before closing it.
/// </summary>
public sealed class DatagramSink : IDisposable
{
    /// <summary>How often an idle receive wakes to see whether the sink is stopping.</summary>
    private const int IdleWakeMilliseconds = 100;

    private readonly BatchReceiver _receiver;
    /// <summary>Per stream with several: 2¹⁶ indexes (8 KiB) each, far more than one client has in flight.</summary>
    private const int StreamWindow = 1 << 16;

    private readonly SequenceTracker[] _trackers;
    private readonly Lock _gate = new();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _trial;
    private int _size;
    private long _corrupted;
    private long _stale;
    private long _lastArrival;
    private bool _stamped;
    private long[]? _delays;
    private int _delayCount;

    // With flows (BeginFlows): each stream's size, delays and the datagrams of it that came damaged.
    private int[]? _flowSizes;
    private long[][]? _flowDelays;
    private int[] _flowDelayCounts = [];
    private long[] _flowCorrupted = [];

    public DatagramSink(Socket socket, int streams = 1)
    {
        _trackers = new SequenceTracker[streams];
        for (int i = 0; i < streams; i++)
        {
            _trackers[i] = streams == 1 ? new SequenceTracker() : new SequenceTracker(StreamWindow);
        }

        socket.ReceiveTimeout = IdleWakeMilliseconds;
        _receiver = BatchReceiver.Create(socket);
        _thread = new Thread(Run) { IsBackground = true, Name = "bench sink" };
        _thread.Start();
    }

    /// <summary>When the last datagram arrived, as a Stopwatch timestamp (0: none yet).</summary>
    public long LastArrival => Volatile.Read(ref _lastArrival);

    /// <summary>
    /// Counts from now on belong to <paramref name="trial"/>, whose datagrams are <paramref name="size"/>
    /// bytes; with <paramref name="delays"/>, they are stamped, and their one-way delays go there
    /// until <see cref="EndDelays"/> (the datagrams beyond its length are counted, not timed).
    /// </summary>
    public void BeginTrial(int trial, int size, long[]? delays = null)
    {
        lock (_gate)
        {
            _trial = trial;
            _size = size;
            foreach (var tracker in _trackers)
            {
                tracker.Reset();
            }

            _corrupted = 0;
            _stale = 0;
            _stamped = delays is not null;
            _delays = delays;
            _delayCount = 0;
            _flowSizes = null;
            _flowDelays = null;
        }
    }

    /// <summary>
    /// Counts from now on belong to <paramref name="trial"/>, whose stream k is a flow of stamped
    /// datagrams of <paramref name="sizes"/>[k] bytes, with its one-way delays going to
    /// <paramref name="delays"/>[k] until <see cref="EndFlowDelays"/>.
    /// </summary>
    public void BeginFlows(int trial, int[] sizes, long[][] delays)
    {
        BeginTrial(trial, 0, delays: null);
        lock (_gate)
        {
            _stamped = true;
            _flowSizes = sizes;
            _flowDelays = delays;
            _flowDelayCounts = new int[sizes.Length];
            _flowCorrupted = new long[sizes.Length];
        }
    }

    /// <summary>Stops writing the flows' delays and returns how many each array holds: the arrays are the caller's again.</summary>
    public int[] EndFlowDelays()
    {
        lock (_gate)
        {
            _flowDelays = null;
            return (int[])_flowDelayCounts.Clone();
        }
    }

    /// <summary>Stops writing delays into the trial's array and returns how many it holds: the array is the caller's again.</summary>
    public int EndDelays()
    {
        lock (_gate)
        {
            _delays = null;
            return _delayCount;
        }
    }

    public SinkCounts Snapshot()
    {
        lock (_gate)
        {
            long unique = 0, duplicated = 0, reordered = 0;
            foreach (var tracker in _trackers)
            {
                unique += tracker.Unique;
                duplicated += tracker.Duplicated;
                reordered += tracker.Reordered;
            }

            return new SinkCounts(unique, duplicated, reordered, _corrupted, _stale);
        }
    }

    /// <summary>The counts of one flow (<see cref="BeginFlows"/>); what could not be told apart (stale, unreadable) is counted with stream 0.</summary>
    public SinkCounts Snapshot(int stream)
    {
        lock (_gate)
        {
            var tracker = _trackers[stream];
            long corrupted = (stream < _flowCorrupted.Length ? _flowCorrupted[stream] : 0) + (stream == 0 ? _corrupted : 0);
            return new SinkCounts(tracker.Unique, tracker.Duplicated, tracker.Reordered, corrupted, stream == 0 ? _stale : 0);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _receiver.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            int received = _receiver.Receive();
            if (received < 0)
            {
                return;
            }

            if (received == 0)
            {
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                for (int i = 0; i < received; i++)
                {
                    Count(_receiver.Datagram(i), now);
                }
            }

            Volatile.Write(ref _lastArrival, now);
        }
    }

    private void Count(ReadOnlySpan<byte> datagram, long receivedAt)
    {
        // Checked against its own length first: a late datagram of an earlier trial (maybe of another size) is stale, not corrupt.
        long sentAt = 0;
        long sequence = _stamped ? SequencedPayload.VerifyStamped(datagram, out sentAt) : SequencedPayload.Verify(datagram, datagram.Length);
        if (sequence < 0)
        {
            _corrupted++;
            return;
        }

        int trial = TrialSequence.TrialOf(sequence);
        if (trial < _trial)
        {
            _stale++;
            return;
        }

        long index = TrialSequence.IndexOf(sequence);
        int stream = TrialSequence.StreamOf(index);
        if (trial > _trial || stream >= _trackers.Length)
        {
            _corrupted++;   // a trial not yet begun, or no client (flow) of this trial sends such a stream
            return;
        }

        if (datagram.Length != (_flowSizes is { } sizes ? sizes[stream] : _size))
        {
            if (_flowSizes is null)
            {
                _corrupted++;
            }
            else
            {
                _flowCorrupted[stream]++;
            }

            return;
        }

        if (!_trackers[stream].Record(TrialSequence.IndexInStream(index)))
        {
            return;
        }

        if (_flowDelays is { } flowDelays)
        {
            var delays = flowDelays[stream];
            if (_flowDelayCounts[stream] < delays.Length)
            {
                delays[_flowDelayCounts[stream]++] = receivedAt - sentAt;
            }
        }
        else if (_delays is { } delays && _delayCount < delays.Length)
        {
            delays[_delayCount++] = receivedAt - sentAt;
        }
    }
}
