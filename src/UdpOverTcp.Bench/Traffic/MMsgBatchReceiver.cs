using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// The Linux receiver: recvmmsg(MSG_WAITFORONE) into pinned slots, up to
/// <see cref="BatchSender.MaxBatch"/> datagrams per system call, nothing allocated per call.
/// The slots and messages are an <see cref="MMsgTable"/>.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class MMsgBatchReceiver : BatchReceiver
{
    /// <summary>Room for any datagram; one byte more keeps the slots 64 KiB-aligned.</summary>
    private const int SlotSize = Sockets.Datagram.MaxSize + 1;

    private const int Batch = BatchSender.MaxBatch;

    private readonly MMsgTable _table;

    public MMsgBatchReceiver(Socket socket)
    {
        _table = new MMsgTable(socket, Batch, SlotSize);
    }

    public override int Receive()
    {
        int n = RecvMMsg(_table.Fd, _table.Messages, Batch, MSG_WAITFORONE, null);
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
        new(_table.IoVecs[index].Base, (int)_table.Messages[index].Length);

    public override void Dispose() => _table.Dispose();
}
