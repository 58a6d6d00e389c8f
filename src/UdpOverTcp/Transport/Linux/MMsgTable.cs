using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Transport.Linux;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Bench;

/// <summary>
/// What the bench's batched senders and receiver share on Linux: pinned datagram slots, and mmsghdrs
/// with one iovec each pointing at them for good (and at a destination, for a sender), so a batch
/// costs one system call and no allocation. Holds a reference on the socket's handle until disposed,
/// so the descriptor number cannot be reused under it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class MMsgTable : IDisposable
{
    private readonly SafeHandle _handle;
    private readonly byte[] _slots;
    private readonly int _slotSize;
    private readonly byte* _destination;
    private bool _disposed;

    public MMsgTable(Socket socket, int count, int slotSize, IPEndPoint? destination = null)
    {
        _handle = socket.SafeHandle;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        Fd = (int)_handle.DangerousGetHandle();
        _slotSize = slotSize;
        // Uninitialised: pages a small datagram never touches stay unmapped.
        _slots = GC.AllocateUninitializedArray<byte>(count * slotSize, pinned: true);
        SlotBase = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        Messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(count * sizeof(MMsgHdr)));
        IoVecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(count * sizeof(IoVec)));
        int destinationLength = 0;
        if (destination is not null)
        {
            _destination = (byte*)NativeMemory.AllocZeroed(SocketAddressBytes.MaxLength);
            destinationLength = SocketAddressBytes.Write(destination, new Span<byte>(_destination, SocketAddressBytes.MaxLength));
        }

        for (int i = 0; i < count; i++)
        {
            IoVecs[i].Base = SlotBase + ((long)i * slotSize);
            IoVecs[i].Length = (nuint)slotSize;
            Messages[i].Header.Iov = &IoVecs[i];
            Messages[i].Header.IovLength = 1;
            Messages[i].Header.Name = _destination;
            Messages[i].Header.NameLength = (uint)destinationLength;
        }
    }

    public int Fd { get; }

    public MMsgHdr* Messages { get; }

    public IoVec* IoVecs { get; }

    public byte* SlotBase { get; }

    /// <summary>Slot <paramref name="index"/>, the whole slot size.</summary>
    public Span<byte> Slot(int index) => _slots.AsSpan(index * _slotSize, _slotSize);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(Messages);
        NativeMemory.Free(IoVecs);
        NativeMemory.Free(_destination);
        _handle.DangerousRelease();
    }
}
