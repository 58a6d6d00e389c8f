using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Transport.Linux;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Bench;

/// <summary>
/// The Linux sender with UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+): a run of
/// equally sized datagrams leaves as one buffer and crosses the IP stack once; the kernel cuts it into
/// datagrams only when it reaches the receiving socket, which sees ordinary datagrams. On loopback that
/// roughly halves the sender's cost per datagram — and the generator must stay cheaper than the tunnel
/// it measures, on the cores they share. One sendmmsg carries several such runs.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class GsoBatchSender : BatchSender
{
    private readonly Socket _socket;
    private readonly SafeHandle _handle;
    private readonly int _fd;
    private readonly int _segmentsPerRun;
    private readonly byte[] _slots;
    private readonly byte* _slotBase;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _iovecs;
    private readonly byte* _destination;
    private bool _disposed;

    private GsoBatchSender(Socket socket, IPEndPoint destination, int size)
        : base(size)
    {
        _socket = socket;
        _handle = socket.SafeHandle;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        _fd = (int)_handle.DangerousGetHandle();
        _segmentsPerRun = Math.Min(Gso.MaxSegments, Gso.MaxRunBytes / size);
        _slots = GC.AllocateUninitializedArray<byte>(MaxBatch * size, pinned: true);
        _slotBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(MMsgHdr)));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(IoVec)));
        _destination = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
        int destinationLength = SocketAddressBytes.Write(destination, new Span<byte>(_destination, SocketAddressBytes.MaxLength));
        for (int i = 0; i < MaxBatch; i++)
        {
            _messages[i].Header.Iov = &_iovecs[i];
            _messages[i].Header.IovLength = 1;
            _messages[i].Header.Name = _destination;
            _messages[i].Header.NameLength = (uint)destinationLength;
        }
    }

    /// <summary>A GSO sender, or null when the kernel does not offer UDP_SEGMENT (or a run would hold a single datagram).</summary>
    public static GsoBatchSender? TryCreate(Socket socket, IPEndPoint destination, int size)
    {
        if (Gso.MaxRunBytes / size < 2 || !Gso.TrySetSegmentSize(socket, size))
        {
            return null;
        }

        return new GsoBatchSender(socket, destination, size);
    }

    public override Span<byte> Slot(int index) => _slots.AsSpan(index * Size, Size);

    public override int Send(int count)
    {
        int runs = 0;
        for (int first = 0; first < count; first += _segmentsPerRun)
        {
            _iovecs[runs].Base = _slotBase + ((long)first * Size);
            _iovecs[runs].Length = (nuint)(Math.Min(_segmentsPerRun, count - first) * Size);
            runs++;
        }

        int refused = 0;
        for (int sent = 0; sent < runs; sent++)
        {
            sent += SendMMsgAll(_fd, _messages + sent, runs - sent, 100, out _);
            if (sent < runs)
            {
                // The whole run failed: all its datagrams are lost.
                refused += (int)(_iovecs[sent].Length / (nuint)Size);
            }
        }

        return refused;
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Gso.TrySetSegmentSize(_socket, 0);   // the socket may send single datagrams next (the latency probe)
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_destination);
        _handle.DangerousRelease();
    }
}
