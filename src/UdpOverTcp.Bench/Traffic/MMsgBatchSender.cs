using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>The Linux sender without GSO: one sendmmsg per batch, a message per datagram (see <see cref="MMsgTable"/>).</summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class MMsgBatchSender(Socket socket, IPEndPoint destination, int size) : BatchSender(size)
{
    private readonly MMsgTable _table = new(socket, MaxBatch, size, destination);

    public override Span<byte> Slot(int index) => _table.Slot(index);

    public override int Send(int count)
    {
        int refused = 0;
        for (int sent = 0; sent < count; sent++)
        {
            sent += SendMMsgAll(_table.Fd, _table.Messages + sent, count - sent, 100, out _);
            if (sent < count)
            {
                // The first unsent datagram failed (ENOBUFS, or an ICMP error about an earlier one): it is lost.
                refused++;
            }
        }

        return refused;
    }

    public override void Dispose() => _table.Dispose();
}
