using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// The Linux sender with UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+): a run of
/// equally sized datagrams leaves as one buffer and crosses the IP stack once; the kernel cuts it into
/// datagrams only when it reaches the receiving socket, which sees ordinary datagrams. On loopback that
/// roughly halves the sender's cost per datagram — and the generator must stay cheaper than the tunnel
/// it measures, on the cores they share. One sendmmsg carries several such runs.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class GsoBatchSender : BatchSender
{
    private readonly Socket _socket;
    private readonly int _segmentsPerRun;
    private readonly MMsgTable _table;
    private bool _disposed;

    private GsoBatchSender(Socket socket, IPEndPoint destination, int size)
        : base(size)
    {
        _socket = socket;
        _segmentsPerRun = Math.Min(Gso.MaxSegments, Gso.MaxRunBytes / size);
        // One message per run; Send points each message's iovec at its run of slots.
        _table = new MMsgTable(socket, MaxBatch, size, destination);
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

    public override Span<byte> Slot(int index) => _table.Slot(index);

    public override int Send(int count)
    {
        var iovecs = _table.IoVecs;
        int runs = 0;
        for (int first = 0; first < count; first += _segmentsPerRun)
        {
            iovecs[runs].Base = _table.SlotBase + ((long)first * Size);
            iovecs[runs].Length = (nuint)(Math.Min(_segmentsPerRun, count - first) * Size);
            runs++;
        }

        int refused = 0;
        for (int sent = 0; sent < runs; sent++)
        {
            sent += SendMMsgAll(_table.Fd, _table.Messages + sent, runs - sent, 100, out _);
            if (sent < runs)
            {
                // The whole run failed: all its datagrams are lost.
                refused += (int)(iovecs[sent].Length / (nuint)Size);
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
        _table.Dispose();
    }
}
