using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>The portable sender: one SendTo per datagram, with the overload that does not allocate.</summary>
public sealed class SocketBatchSender(Socket socket, IPEndPoint destination, int size) : BatchSender(size)
{
    private readonly byte[] _slots = new byte[MaxBatch * size];
    private readonly SocketAddress _destination = destination.Serialize();

    public override Span<byte> Slot(int index) => _slots.AsSpan(index * Size, Size);

    public override int Send(int count)
    {
        int refused = 0;
        for (int i = 0; i < count; i++)
        {
            try
            {
                socket.SendTo(Slot(i), SocketFlags.None, _destination);
            }
            catch (SocketException)
            {
                // ENOBUFS, or an ICMP error about an earlier datagram: this one is lost.
                refused++;
            }
        }

        return refused;
    }

    public override void Dispose()
    {
    }
}
