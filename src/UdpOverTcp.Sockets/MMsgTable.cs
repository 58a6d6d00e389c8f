using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// A batch of mmsghdrs with one iovec each, pointing for good at pinned datagram slots (and at a
/// destination for a sender, or at room for each source address and control message for a
/// receiver), so a batch costs one system call and no allocation. Used by the tunnel's receive loop
/// and by the bench's batched senders and receiver. Holds a reference on the socket's handle until
/// disposed, so the descriptor number cannot be reused under it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class MMsgTable : IDisposable
{
    private readonly SafeHandle _handle;
    private readonly byte[] _slots;
    private readonly int _slotSize;
    private readonly byte* _destination;
    private readonly byte* _sources;
    private readonly byte* _controls;
    private readonly int _controlRoom;
    private bool _disposed;

    /// <param name="destination">Every message's destination (a sender); null: none (a receiver).</param>
    /// <param name="withSources">Room for each datagram's source address (a receiver that tells senders apart).</param>
    /// <param name="controlRoom">Room per message for control messages (e.g. <see cref="Gso.GroControlSize"/>); 0: none.</param>
    public MMsgTable(Socket socket, int count, int slotSize, IPEndPoint? destination = null, bool withSources = false, int controlRoom = 0)
    {
        _handle = socket.SafeHandle;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        Fd = (int)_handle.DangerousGetHandle();
        Count = count;
        _slotSize = slotSize;
        _controlRoom = controlRoom;
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

        _sources = withSources ? (byte*)NativeMemory.AllocZeroed((nuint)(count * SocketAddressBytes.MaxLength)) : null;
        _controls = controlRoom > 0 ? (byte*)NativeMemory.AllocZeroed((nuint)(count * controlRoom)) : null;
        for (int i = 0; i < count; i++)
        {
            IoVecs[i].Base = SlotBase + ((long)i * slotSize);
            IoVecs[i].Length = (nuint)slotSize;
            Messages[i].Header.Iov = &IoVecs[i];
            Messages[i].Header.IovLength = 1;
            if (_destination is not null)
            {
                Messages[i].Header.Name = _destination;
                Messages[i].Header.NameLength = (uint)destinationLength;
            }
            else
            {
                Messages[i].Header.Name = _sources is null ? null : _sources + (i * SocketAddressBytes.MaxLength);
            }

            Messages[i].Header.Control = _controls is null ? null : _controls + (i * controlRoom);
            RewindForReceive(i);
        }
    }

    public int Fd { get; }

    public int Count { get; }

    public MMsgHdr* Messages { get; }

    public IoVec* IoVecs { get; }

    public byte* SlotBase { get; }

    /// <summary>Slot <paramref name="index"/>, the whole slot size.</summary>
    public Span<byte> Slot(int index) => _slots.AsSpan(index * _slotSize, _slotSize);

    /// <summary>The datagram a receive left in slot <paramref name="index"/>.</summary>
    public byte* Received(int index, out int length)
    {
        length = (int)Messages[index].Length;
        return (byte*)IoVecs[index].Base;
    }

    /// <summary>The source address a receive wrote for message <paramref name="index"/> (with sources only).</summary>
    public byte* Source(int index) => (byte*)Messages[index].Header.Name;

    /// <summary>
    /// Puts back what a receive changed in message <paramref name="index"/>: the kernel writes the
    /// lengths of the address and control data it used, and flags, into the header.
    /// </summary>
    public void RewindForReceive(int index)
    {
        ref var header = ref Messages[index].Header;
        header.Flags = 0;
        if (_destination is null)
        {
            header.NameLength = _sources is null ? 0u : SocketAddressBytes.MaxLength;
        }

        header.ControlLength = (nuint)_controlRoom;
    }

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
        NativeMemory.Free(_sources);
        NativeMemory.Free(_controls);
        GC.KeepAlive(_slots);
        _handle.DangerousRelease();
    }
}
