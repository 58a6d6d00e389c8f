using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Framing;
using UdpOverTcp.Transport.Linux;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Transport;

/// <summary>
/// The Linux data path: up to <see cref="BatchSize"/> datagrams per system call each way.
/// UDP → TCP: a dedicated thread blocks in recvmmsg(MSG_WAITFORONE) — it waits for the first
/// datagram only, so a lone datagram is never held back — frames the whole batch into the link's
/// pipe and flushes once: one TCP send carries the batch. TCP → UDP: each read of the link's input is
/// decoded and sent with sendmmsg, the iovecs pointing straight into the (pinned) pipe memory.
/// The socket's descriptor is used directly, so the .NET Socket is only for set-up and closing;
/// every system call holds a reference on its handle so a close can never hand the number to a new socket.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class BatchedUdpPump : UdpPump
{
    public const int BatchSize = 64;

    /// <summary>Per receive slot: room for any datagram, so MSG_TRUNC never happens for a real one.</summary>
    private const int SlotSize = 65536;

    /// <summary>How often an idle receive looks up to see whether the tunnel is stopping.</summary>
    private const int IdleWakeMilliseconds = 200;

    private readonly byte* _sendToAddress;
    private readonly int _sendToLength;
    private volatile bool _stopping;

    /// <summary>
    /// Send runs of equally sized datagrams as one UDP_SEGMENT (GSO) buffer: they cross the IP stack
    /// once and are cut into datagrams at the receiving socket, which sees ordinary datagrams. Only
    /// towards loopback, whose MTU fits any run; a path with a smaller MTU would refuse large segments.
    /// </summary>
    private volatile bool _gso;

    public BatchedUdpPump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats)
        : base(udp, sendTo, peerOnly, codec, stats)
    {
        // Freed with the process: one per tunnel, read by every sender.
        _sendToAddress = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
        _sendToLength = SocketAddressBytes.Write(SendTo, new Span<byte>(_sendToAddress, SocketAddressBytes.MaxLength));
        // A blocking recvmmsg wakes at least this often to notice Stop().
        udp.ReceiveTimeout = IdleWakeMilliseconds;
        _gso = IPAddress.IsLoopback(sendTo.Address) && Gso.IsSupported(udp);
        _gro = Gso.TryEnableGro(udp);
    }

    /// <summary>Receive GSO runs still joined (UDP_GRO) and split them here: one message per run.</summary>
    private readonly bool _gro;

    public override string Kind => $"batched (recvmmsg/sendmmsg{(_gro ? ", UDP GRO" : "")}{(_gso ? ", UDP GSO" : "")})";

    public override void Stop() => _stopping = true;

    public override Task RunReceiveLoopAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveLoop();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "udp receive",
        };
        thread.Start();
        return done.Task;
    }

    protected override DatagramSender CreateSender() => new MMsgSender(this);

    private void ReceiveLoop()
    {
        var handle = Udp.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        // Slots on the pinned heap, uninitialised: pages a small datagram never touches stay unmapped.
        byte[] slots = GC.AllocateUninitializedArray<byte>(BatchSize * SlotSize, pinned: true);
        var messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(BatchSize * sizeof(MMsgHdr)));
        var iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(BatchSize * sizeof(IoVec)));
        // Source addresses are only needed to tell the peer from strangers (--udp-peer-only).
        var sources = PeerOnly ? (byte*)NativeMemory.AllocZeroed((nuint)(BatchSize * SocketAddressBytes.MaxLength)) : null;
        // GRO: a run the app sent as one GSO buffer arrives as one message, split here into its datagrams.
        var controls = _gro ? (byte*)NativeMemory.AllocZeroed((nuint)(BatchSize * Gso.GroControlSize)) : null;
        var writer = new LinkWriter(Codec);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            byte* slotBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(slots, 0);
            for (int i = 0; i < BatchSize; i++)
            {
                iovecs[i].Base = slotBase + ((long)i * SlotSize);
                iovecs[i].Length = SlotSize;
                messages[i].Header.Iov = &iovecs[i];
                messages[i].Header.IovLength = 1;
                messages[i].Header.Name = sources is null ? null : sources + (i * SocketAddressBytes.MaxLength);
                messages[i].Header.NameLength = sources is null ? 0u : SocketAddressBytes.MaxLength;
                messages[i].Header.Control = controls is null ? null : controls + (i * Gso.GroControlSize);
                messages[i].Header.ControlLength = controls is null ? 0u : Gso.GroControlSize;
            }

            while (!_stopping)
            {
                int received = RecvMMsg(fd, messages, BatchSize, MSG_WAITFORONE, null);
                if (_stopping)
                {
                    // Closing the socket shuts it down, which wakes this receive with an empty "datagram".
                    break;
                }

                if (received <= 0)
                {
                    if (!OnReceiveError(fd))
                    {
                        break;
                    }

                    continue;
                }

                var link = Link;
                int datagrams = 0;
                long bytes = 0;
                for (int i = 0; i < received; i++)
                {
                    int length = (int)messages[i].Length;
                    bool truncated = (messages[i].Header.Flags & MSG_TRUNC) != 0;
                    bool fromPeer = sources is null || SocketAddressBytes.SameEndpoint((byte*)messages[i].Header.Name, _sendToAddress);
                    messages[i].Header.Flags = 0;
                    messages[i].Header.NameLength = sources is null ? 0u : SocketAddressBytes.MaxLength;   // the kernel wrote the length it used
                    int segment = controls is null ? 0 : Gso.ReadGroSegmentSize(messages[i].Header.Control, messages[i].Header.ControlLength);
                    messages[i].Header.ControlLength = controls is null ? 0u : Gso.GroControlSize;   // likewise
                    if (truncated)
                    {
                        datagrams++;
                        _ = Admit(int.MaxValue, fromPeer: true);   // counted as too large
                        continue;
                    }

                    byte* data = (byte*)iovecs[i].Base;
                    if (segment <= 0 || segment >= length)
                    {
                        segment = length;
                    }

                    // One datagram (an empty one included), or each datagram of a GRO run (all but
                    // the last exactly `segment` long).
                    int offset = 0;
                    do
                    {
                        int size = Math.Min(segment, length - offset);
                        datagrams++;
                        bytes += size;
                        if (Admit(size, fromPeer))
                        {
                            CountOutcome(writer.Append(link, Memory<byte>.Empty, new ReadOnlySpan<byte>(data + offset, size)));
                        }

                        offset += segment;
                    }
                    while (offset < length);
                }

                CountReceivedBatch(datagrams, bytes);
                writer.Flush();
            }
        }
        finally
        {
            writer.Complete();
            NativeMemory.Free(messages);
            NativeMemory.Free(iovecs);
            NativeMemory.Free(sources);
            NativeMemory.Free(controls);
            GC.KeepAlive(slots);
            handle.DangerousRelease();
        }
    }

    /// <summary>True to go on receiving.</summary>
    private bool OnReceiveError(int fd)
    {
        int errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case EAGAIN:
                // The receive timeout passed (blocking socket) or nothing is queued (non-blocking).
                WaitFor(fd, POLLIN, IdleWakeMilliseconds);
                return true;
            case EINTR:
                return true;
            case EBADF:
                return false;
            default:
                // E.g. ECONNREFUSED from an ICMP error queued on the socket: about an earlier send.
                CountSendError(Marshal.GetPInvokeErrorMessage(errno));
                return true;
        }
    }

    /// <summary>
    /// Queues decoded datagrams as mmsghdrs pointing into pipe memory; one sendmmsg per batch. With
    /// GSO, a datagram the size of the previous one joins its message as one more segment.
    /// </summary>
    private sealed class MMsgSender : DatagramSender
    {
        /// <summary>A payload in more pipe segments than this is copied (never happens with 128 KiB blocks).</summary>
        private const int MaxSegments = 4;

        /// <summary>Room for the iovecs of one batch; a batch is sent early rather than overflow it.</summary>
        private const int MaxIovecs = BatchSize * Gso.MaxSegments;

        private readonly BatchedUdpPump _pump;
        private readonly MMsgHdr* _messages;
        private readonly IoVec* _iovecs;
        private readonly byte* _control;
        private readonly MemoryHandle[] _pins = new MemoryHandle[MaxIovecs];
        private readonly int[] _runSize = new int[BatchSize];
        private readonly int[] _runLength = new int[BatchSize];
        private readonly byte[] _joined = GC.AllocateUninitializedArray<byte>(FrameCodec.DefaultMaxFrame, pinned: true);
        private int _count;
        private int _datagrams;
        private int _iovecsUsed;
        private long _bytes;
        private bool _joinedInUse;

        public MMsgSender(BatchedUdpPump pump)
        {
            _pump = pump;
            _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(BatchSize * sizeof(MMsgHdr)));
            _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxIovecs * sizeof(IoVec)));
            _control = (byte*)NativeMemory.AllocZeroed((nuint)(BatchSize * Gso.ControlSize));
        }

        public override ValueTask SendAsync(ReadOnlySequence<byte> payload)
        {
            int segments = 0;
            foreach (var _ in payload)
            {
                segments++;
            }

            if (segments > MaxSegments || (segments > 1 && _joinedInUse))
            {
                // Rare: flatten into the one spare buffer (sending first if it is taken).
                if (_joinedInUse)
                {
                    SendPending();
                }

                payload.CopyTo(_joined);
                payload = new ReadOnlySequence<byte>(_joined, 0, (int)payload.Length);
                _joinedInUse = true;
            }

            if (_iovecsUsed + segments > MaxIovecs)
            {
                SendPending();
            }

            int length = (int)payload.Length;
            int last = _count - 1;
            bool joins = _pump._gso && last >= 0 && length > 0 && length == _runSize[last]
                && _runLength[last] < Gso.MaxSegments && (_runLength[last] + 1) * length <= Gso.MaxRunBytes;
            if (!joins)
            {
                if (_count == BatchSize)
                {
                    SendPending();
                }

                ref var next = ref _messages[_count];
                next.Header.Name = _pump._sendToAddress;
                next.Header.NameLength = (uint)_pump._sendToLength;
                next.Header.Iov = &_iovecs[_iovecsUsed];
                next.Header.IovLength = 0;
                next.Header.Control = null;
                next.Header.ControlLength = 0;
                next.Header.Flags = 0;
                _runSize[_count] = length;
                _runLength[_count] = 1;
                _count++;
            }
            else if (++_runLength[last] == 2)
            {
                // The run's second datagram: from now on the message carries its segment size.
                ref var run = ref _messages[last];
                run.Header.Control = _control + (last * Gso.ControlSize);
                run.Header.ControlLength = Gso.ControlSize;
                Gso.WriteSegmentSize(run.Header.Control, length);
            }

            // The datagram's bytes go on the last message (a run's iovecs are the last ones used).
            ref var message = ref _messages[_count - 1];
            foreach (var segment in payload)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                var pin = segment.Pin();
                _pins[_iovecsUsed] = pin;
                _iovecs[_iovecsUsed].Base = pin.Pointer;
                _iovecs[_iovecsUsed].Length = (nuint)segment.Length;
                _iovecsUsed++;
                message.Header.IovLength++;
            }

            if (length == 0)
            {
                // An empty datagram still gets one (empty) iovec: a message with none is sent by every
                // kernel, but qemu-user before 8.0 reports it sent and drops it (ARM64 images under emulation).
                _pins[_iovecsUsed] = default;
                _iovecs[_iovecsUsed].Base = Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_joined));
                _iovecs[_iovecsUsed].Length = 0;
                _iovecsUsed++;
                message.Header.IovLength++;
            }

            _bytes += length;
            _datagrams++;
            return ValueTask.CompletedTask;
        }

        public override void SendPending()
        {
            if (_count == 0)
            {
                return;
            }

            var handle = _pump.Udp.SafeHandle;
            bool added = false;
            int failed = 0;
            try
            {
                handle.DangerousAddRef(ref added);
                int fd = (int)handle.DangerousGetHandle();
                for (int sent = 0; sent < _count; sent++)
                {
                    sent += SendMMsgAll(fd, _messages + sent, _count - sent, IdleWakeMilliseconds, out int errno);
                    if (sent == _count)
                    {
                        break;
                    }

                    if (errno == EBADF)
                    {
                        for (; sent < _count; sent++)
                        {
                            failed += _runLength[sent];
                        }

                        break;
                    }

                    // The first unsent message failed (unreachable, too big...): count it and go on.
                    if (_runLength[sent] > 1 && _pump._gso)
                    {
                        _pump._gso = false;   // a kernel or route that refuses GSO: plain datagrams from now on
                        Log.Debug($"udp send: GSO refused ({Marshal.GetPInvokeErrorMessage(errno)}); sending datagrams one by one");
                    }

                    _pump.CountSendError(Marshal.GetPInvokeErrorMessage(errno));
                    failed += _runLength[sent];
                }
            }
            catch (ObjectDisposedException)
            {
                failed = _datagrams;   // the tunnel is closing
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            _pump.CountSent(_datagrams - failed, failed == 0 ? _bytes : 0);
            for (int i = 0; i < _iovecsUsed; i++)
            {
                _pins[i].Dispose();
            }

            _count = 0;
            _datagrams = 0;
            _iovecsUsed = 0;
            _bytes = 0;
            _joinedInUse = false;
        }

        public override void Dispose()
        {
            SendPending();
            NativeMemory.Free(_messages);
            NativeMemory.Free(_iovecs);
            NativeMemory.Free(_control);
            base.Dispose();
        }
    }
}
