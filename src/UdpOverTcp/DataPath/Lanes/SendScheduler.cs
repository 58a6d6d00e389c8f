using System.Buffers;
using UdpOverTcp.Framing;

namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// What a link's send loop sends next, from its lanes (<see cref="OutputLane"/>): small datagrams ahead of
/// queued bulk, up to a share of the bytes, each lane dropping what waited too long at its own head
/// (<see cref="TimeBoundedQueue"/>), so that a drop aimed at bulk never lands on a ping, a game packet, a
/// DNS answer or the ACK of a TCP flow inside WireGuard. Inside a lane, order is kept. The loop asks
/// <see cref="TryTake"/> for bytes, hands them to the socket and says with <see cref="Sent"/> how many it
/// took; a frame begun is finished before anything else goes (or is dropped). The bulk lane's bytes come
/// from the loop's own read of the output pipe (<see cref="Begin"/>); the priority lane is read here.
/// With one lane and no time bound it hands the loop all it read, as the loop did before lanes.
/// Used by the send loop only (one thread at a time); nothing allocated.
/// </summary>
public sealed class SendScheduler
{
    /// <summary>
    /// How far ahead the priority lane may run after bulk had the link to itself: each of its bytes sent
    /// while bulk waits costs (1 - share), so at 50 % a burst of 128 KiB of small datagrams goes before
    /// any waiting bulk, and after that the two alternate.
    /// </summary>
    private const double MaxCredit = 64 * 1024;

    private readonly FrameBoundaries _frames;
    private readonly OutputLane _bulk;
    private readonly OutputLane? _priority;
    private readonly double _share;

    /// <summary>Sends must start and end on frame boundaries: there is a second lane, or something to drop.</summary>
    private readonly bool _framesMatter;

    private ReadOnlySequence<byte> _bulkUnsent;

    /// <summary>The priority lane's pipe has been read and not yet advanced; <see cref="_priorityUnsent"/> is what is left of that read.</summary>
    private bool _priorityHeld;
    private ReadOnlySequence<byte> _priorityUnsent;

    /// <summary>The lane the last chunk came from, the chunk, and whether bulk waited behind it.</summary>
    private bool _fromPriority;
    private ReadOnlySequence<byte> _chunk;
    private bool _bulkWaited;

    /// <summary>Bytes that end a frame begun on the last chunk's lane (0: on a boundary).</summary>
    private long _restOfFrame;

    /// <summary>Bytes the priority lane may still send ahead of waiting bulk, times (1 - share).</summary>
    private double _credit = MaxCredit;

    public SendScheduler(FrameCodec codec, OutputLane bulk, OutputLane? priority, double share)
    {
        _frames = new FrameBoundaries(codec);
        _bulk = bulk;
        _priority = priority;
        _share = share;
        _framesMatter = priority is not null || bulk.Bound is not null;
    }

    /// <summary>The last chunk stopped inside a frame: the next one ends it, and goes whatever the budget.</summary>
    public bool MidFrame => _restOfFrame > 0;

    /// <summary>The send loop read <paramref name="bulk"/> from the bulk lane's pipe (from a frame boundary).</summary>
    public void Begin(in ReadOnlySequence<byte> bulk) => _bulkUnsent = bulk;

    /// <summary>
    /// The next bytes to send: the rest of a frame begun, or whole frames from one lane, at most about
    /// <paramref name="chunkBytes"/> (at least one frame). False when the bulk read and the priority lane
    /// are both sent: the loop reads its pipe again.
    /// </summary>
    public bool TryTake(long chunkBytes, out ReadOnlySequence<byte> chunk)
    {
        if (_restOfFrame > 0)
        {
            chunk = _chunk = (_fromPriority ? _priorityUnsent : _bulkUnsent).Slice(0, _restOfFrame);
            return true;
        }

        while (true)
        {
            bool priorityWaits = ReadPriority();
            bool bulkWaits = !_bulkUnsent.IsEmpty;
            if (priorityWaits && (!bulkWaits || _credit > 0))
            {
                _fromPriority = true;
                _bulkWaited = bulkWaits;
                _priorityUnsent = _priority!.Bound?.DropStale(_priorityUnsent) ?? _priorityUnsent;
                if (_priorityUnsent.IsEmpty)
                {
                    continue;
                }

                long limit = bulkWaits && _share < 1 ? (long)(_credit / (1 - _share)) : long.MaxValue;
                chunk = _chunk = WholeFrames(_priorityUnsent, Math.Min(limit, chunkBytes));
                return true;
            }

            if (!bulkWaits)
            {
                chunk = _chunk = default;
                return false;
            }

            _fromPriority = false;
            _bulkUnsent = _bulk.Bound?.DropStale(_bulkUnsent) ?? _bulkUnsent;
            if (_bulkUnsent.IsEmpty)
            {
                continue;
            }

            // Priority datagrams wait and have used their share: bulk goes until they may again.
            long until = priorityWaits ? (long)Math.Ceiling(-_credit / _share) + 1 : long.MaxValue;
            chunk = _chunk = WholeFrames(_bulkUnsent, Math.Min(until, chunkBytes));
            return true;
        }
    }

    /// <summary>The socket took <paramref name="bytes"/> of the last chunk.</summary>
    public void Sent(long bytes)
    {
        var lane = _fromPriority ? _priority! : _bulk;
        lane.Bound?.Sent(bytes);
        if (_fromPriority)
        {
            _priorityUnsent = _priorityUnsent.Slice(bytes);
            if (_bulkWaited)
            {
                _credit -= bytes * (1 - _share);
            }
        }
        else
        {
            _bulkUnsent = _bulkUnsent.Slice(bytes);
            if (_priority is not null)
            {
                _credit = Math.Min(MaxCredit, _credit + (bytes * _share));
            }
        }

        if (_restOfFrame > 0)
        {
            _restOfFrame -= bytes;
        }
        else if (bytes < _chunk.Length && _framesMatter)
        {
            _restOfFrame = _frames.After(_chunk, bytes - 1) - bytes;
        }
    }

    /// <summary>The send loop has ended: nothing more is read from the priority lane (its writer sees that at its next flush).</summary>
    public void Complete() => _priority?.Reader.Complete();

    /// <summary>
    /// Reads the priority lane afresh (what was taken so far is consumed), so that what was flushed since
    /// is seen too. True when something waits there.
    /// </summary>
    private bool ReadPriority()
    {
        if (_priority is null)
        {
            return false;
        }

        if (_priorityHeld)
        {
            _priority.Reader.AdvanceTo(_priorityUnsent.Start);
            _priorityHeld = false;
        }

        if (!_priority.Reader.TryRead(out var result))
        {
            return false;
        }

        _priorityHeld = true;
        _priorityUnsent = result.Buffer;
        return !_priorityUnsent.IsEmpty;
    }

    /// <summary>The whole frames at the head of <paramref name="unsent"/> that end at or just past <paramref name="bytes"/> (at least one).</summary>
    private ReadOnlySequence<byte> WholeFrames(in ReadOnlySequence<byte> unsent, long bytes) =>
        !_framesMatter || unsent.Length <= bytes ? unsent : unsent.Slice(0, _frames.After(unsent, Math.Max(bytes, 1) - 1));
}
