using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Transport.Linux;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Bench;

/// <summary>
/// The Linux sender: one sendmmsg per batch, from pinned slots that the mmsghdrs point at for good,
/// so a batch costs one system call and no allocation. Holds a reference on the socket's handle for
/// its lifetime, so the descriptor number cannot be reused under it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class MMsgBatchSender : BatchSender
{
    private readonly SafeHandle _handle;
    private readonly int _fd;
    private readonly byte[] _slots;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _iovecs;
    private readonly byte* _destination;
    private bool _disposed;

    public MMsgBatchSender(Socket socket, IPEndPoint destination, int size)
        : base(size)
    {
        _handle = socket.SafeHandle;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        _fd = (int)_handle.DangerousGetHandle();
        _slots = GC.AllocateUninitializedArray<byte>(MaxBatch * size, pinned: true);
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(MMsgHdr)));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(IoVec)));
        _destination = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
        int destinationLength = SocketAddressBytes.Write(destination, new Span<byte>(_destination, SocketAddressBytes.MaxLength));
        byte* slotBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        for (int i = 0; i < MaxBatch; i++)
        {
            _iovecs[i].Base = slotBase + ((long)i * size);
            _iovecs[i].Length = (nuint)size;
            _messages[i].Header.Iov = &_iovecs[i];
            _messages[i].Header.IovLength = 1;
            _messages[i].Header.Name = _destination;
            _messages[i].Header.NameLength = (uint)destinationLength;
        }
    }

    public override Span<byte> Slot(int index) => _slots.AsSpan(index * Size, Size);

    public override int Send(int count)
    {
        int refused = 0;
        for (int sent = 0; sent < count; sent++)
        {
            sent += SendMMsgAll(_fd, _messages + sent, count - sent, 100, out _);
            if (sent < count)
            {
                // The first unsent datagram failed (ENOBUFS, or an ICMP error about an earlier one): it is lost.
                refused++;
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
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_destination);
        _handle.DangerousRelease();
    }
}
