using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench;

/// <summary>
/// Receives sequence-numbered datagrams on its own thread and counts what arrived whole, what was
/// corrupted, and what came out of order.
/// </summary>
public sealed class DatagramSink : IDisposable
{
    /// <summary>The sink stops once nothing has arrived for this long after the sender finished.</summary>
    private static readonly TimeSpan QuietTime = TimeSpan.FromMilliseconds(300);

    private readonly Socket _socket;
    private readonly int _size;
    private Thread? _thread;
    private volatile bool _senderDone;

    public DatagramSink(IPEndPoint bind, int size)
    {
        _size = size;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = Cli.TunnelOptions.DefaultUdpBuffer;
        _socket.ReceiveTimeout = (int)QuietTime.TotalMilliseconds;
        _socket.Bind(bind);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public long Received { get; private set; }
    public long Corrupt { get; private set; }
    public long OutOfOrder { get; private set; }

    /// <summary>When the last datagram arrived, as a Stopwatch timestamp.</summary>
    public long LastArrival { get; private set; }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "bench sink" };
        _thread.Start();
    }

    /// <summary>Tells the sink the sender is done, and waits until the datagrams in flight have drained.</summary>
    public void Finish()
    {
        _senderDone = true;
        _thread?.Join();
    }

    public void Dispose() => _socket.Dispose();

    private void Run()
    {
        var buffer = new byte[65536];
        long highest = -1;
        while (true)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                if (_senderDone)
                {
                    return;
                }

                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            LastArrival = Stopwatch.GetTimestamp();
            long sequence = SequencedPayload.Verify(buffer.AsSpan(0, n), _size);
            if (sequence < 0)
            {
                Corrupt++;
                continue;
            }

            Received++;
            if (sequence <= highest)
            {
                OutOfOrder++;
            }
            else
            {
                highest = sequence;
            }
        }
    }
}
