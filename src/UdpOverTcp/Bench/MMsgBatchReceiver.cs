using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Bench;

/// <summary>
/// The Linux receiver: recvmmsg(MSG_WAITFORONE) into pinned slots, up to
/// <see cref="BatchSender.MaxBatch"/> datagrams per system call, nothing allocated per call.
/// Holds a reference on the socket's handle for its lifetime.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class MMsgBatchReceiver : BatchReceiver
{
    /// <summary>Room for any datagram; pages a small one never touches stay unmapped.</summary>
    private const int SlotSize = 65536;

    private const int Batch = BatchSender.MaxBatch;

    private readonly SafeHandle _handle;
    private readonly int _fd;
    private readonly byte[] _slots;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _iovecs;
    private bool _disposed;

    public MMsgBatchReceiver(Socket socket)
    {
        _handle = socket.SafeHandle;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        _fd = (int)_handle.DangerousGetHandle();
        _slots = GC.AllocateUninitializedArray<byte>(Batch * SlotSize, pinned: true);
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(MMsgHdr)));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(IoVec)));
        byte* slotBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        for (int i = 0; i < Batch; i++)
        {
            _iovecs[i].Base = slotBase + ((long)i * SlotSize);
            _iovecs[i].Length = SlotSize;
            _messages[i].Header.Iov = &_iovecs[i];
            _messages[i].Header.IovLength = 1;
        }
    }

    public override int Receive()
    {
        int n = RecvMMsg(_fd, _messages, Batch, MSG_WAITFORONE, null);
        if (n > 0)
        {
            return n;
        }

        if (n == 0)
        {
            return 0;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == EBADF ? -1 : 0;   // EAGAIN: the receive timeout passed; EINTR; an ICMP error: try again
    }

    /// <summary>A truncated datagram (MSG_TRUNC) cannot happen: the slots hold the largest UDP payload.</summary>
    public override ReadOnlySpan<byte> Datagram(int index) =>
        new(_iovecs[index].Base, (int)_messages[index].Length);

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovecs);
        _handle.DangerousRelease();
    }
}
