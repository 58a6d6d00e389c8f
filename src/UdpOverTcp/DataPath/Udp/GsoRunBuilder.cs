using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Framing;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// Builds one sendmmsg batch from decoded datagrams: an mmsghdr per datagram, its iovecs pointing
/// straight into the (pinned) pipe memory the datagram was decoded from. With GSO on, a datagram the
/// size of the previous one joins that message as one more segment (a UDP_SEGMENT control message
/// carries the size), so a run of equal datagrams crosses the IP stack once. Knows nothing of
/// sockets: <see cref="MMsgSender"/> sends what it built, and the tests look at it directly.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class GsoRunBuilder : IDisposable
{
    public const int MaxMessages = BatchedUdpPump.BatchSize;

    /// <summary>A payload in more pipe segments than this is copied (never happens with 128 KiB blocks).</summary>
    public const int MaxPayloadSegments = 4;

    /// <summary>Room for the iovecs of one batch; the batch is sent early rather than overflow it.</summary>
    public const int MaxIovecs = MaxMessages * Gso.MaxSegments;

    private readonly byte* _destination;
    private readonly int _destinationLength;
    private readonly IoVec* _iovecs;
    private readonly byte* _control;
    private readonly MemoryHandle[] _pins = new MemoryHandle[MaxIovecs];
    private readonly int[] _runSize = new int[MaxMessages];
    private readonly int[] _runLength = new int[MaxMessages];

    /// <summary>The one spare buffer a payload in too many segments is flattened into.</summary>
    private readonly byte[] _joined = GC.AllocateUninitializedArray<byte>(FrameCodec.DefaultMaxFrame, pinned: true);
    private int _iovecsUsed;
    private bool _joinedInUse;

    /// <param name="destination">The sockaddr every message goes to; it must outlive the builder.</param>
    public GsoRunBuilder(byte* destination, int destinationLength)
    {
        _destination = destination;
        _destinationLength = destinationLength;
        Messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(MaxMessages * sizeof(MMsgHdr)));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxIovecs * sizeof(IoVec)));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)(MaxMessages * Gso.ControlSize));
    }

    /// <summary>Join runs of equal datagrams into one message (set off when a route refuses GSO).</summary>
    public bool JoinRuns { get; set; }

    public MMsgHdr* Messages { get; }

    /// <summary>Messages built so far.</summary>
    public int Count { get; private set; }

    /// <summary>Datagrams in the batch (a message carries a run of one or more).</summary>
    public int Datagrams { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>How many datagrams message <paramref name="index"/> carries.</summary>
    public int RunLength(int index) => _runLength[index];

    /// <summary>The payload bytes message <paramref name="index"/> carries.</summary>
    public long RunBytes(int index) => (long)_runSize[index] * _runLength[index];

    /// <summary>
    /// Adds <paramref name="payload"/> to the batch; false, with nothing changed, when the batch has no
    /// room for it (send it and <see cref="Clear"/> first: an empty batch always takes a datagram).
    /// </summary>
    public bool TryAdd(ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        int segments = 0;
        foreach (var segment in payload)
        {
            if (!segment.IsEmpty)
            {
                segments++;
            }
        }

        bool copy = segments > MaxPayloadSegments || (segments > 1 && _joinedInUse);
        int iovecsNeeded = copy || segments == 0 ? 1 : segments;   // an empty datagram still gets one (see below)
        int last = Count - 1;
        bool joins = JoinRuns && last >= 0 && length > 0 && length == _runSize[last]
            && _runLength[last] < Gso.MaxSegments && (_runLength[last] + 1) * length <= Gso.MaxRunBytes;

        // Every check before anything changes: the spare buffer is taken only by a datagram that is then queued.
        if ((copy && _joinedInUse) || _iovecsUsed + iovecsNeeded > MaxIovecs || (!joins && Count == MaxMessages))
        {
            return false;
        }

        if (copy)
        {
            payload.CopyTo(_joined);
            payload = new ReadOnlySequence<byte>(_joined, 0, length);
            _joinedInUse = true;
        }

        if (!joins)
        {
            ref var next = ref Messages[Count];
            next.Header.Name = _destination;
            next.Header.NameLength = (uint)_destinationLength;
            next.Header.Iov = &_iovecs[_iovecsUsed];
            next.Header.IovLength = 0;
            next.Header.Control = null;
            next.Header.ControlLength = 0;
            next.Header.Flags = 0;
            _runSize[Count] = length;
            _runLength[Count] = 1;
            Count++;
        }
        else if (++_runLength[last] == 2)
        {
            // The run's second datagram: from now on the message carries its segment size.
            ref var run = ref Messages[last];
            run.Header.Control = _control + (last * Gso.ControlSize);
            run.Header.ControlLength = Gso.ControlSize;
            Gso.WriteSegmentSize(run.Header.Control, length);
        }

        // The datagram's bytes go on the last message (a run's iovecs are the last ones used).
        ref var message = ref Messages[Count - 1];
        foreach (var segment in payload)
        {
            if (!segment.IsEmpty)
            {
                AddIovec(ref message, segment.Pin(), segment.Length);
            }
        }

        if (length == 0)
        {
            // An empty datagram still gets one (empty) iovec: a message with none is sent by every
            // kernel, but qemu-user before 8.0 reports it sent and drops it (ARM64 images under emulation).
            var empty = new MemoryHandle(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_joined)));
            AddIovec(ref message, empty, 0);
        }

        Bytes += length;
        Datagrams++;
        return true;
    }

    /// <summary>Empties the batch and lets go of the pipe memory it pointed into.</summary>
    public void Clear()
    {
        for (int i = 0; i < _iovecsUsed; i++)
        {
            _pins[i].Dispose();
        }

        Count = 0;
        Datagrams = 0;
        Bytes = 0;
        _iovecsUsed = 0;
        _joinedInUse = false;
    }

    public void Dispose()
    {
        Clear();
        NativeMemory.Free(Messages);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_control);
        GC.KeepAlive(_joined);
    }

    private void AddIovec(ref MMsgHdr message, MemoryHandle pin, int length)
    {
        _pins[_iovecsUsed] = pin;
        _iovecs[_iovecsUsed].Base = pin.Pointer;
        _iovecs[_iovecsUsed].Length = (nuint)length;
        _iovecsUsed++;
        message.Header.IovLength++;
    }
}
