using System.Net.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>The portable receiver: one Receive per datagram.</summary>
public sealed class SocketBatchReceiver(Socket socket) : BatchReceiver
{
    private readonly byte[] _buffer = new byte[Sockets.Datagram.MaxSize];
    private int _length;

    public override int Receive()
    {
        try
        {
            _length = socket.Receive(_buffer, SocketFlags.None);
            return 1;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
        {
            return 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
        {
            // Too long for the buffer, or Windows reporting an ICMP error: nothing to count as a datagram.
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    public override ReadOnlySpan<byte> Datagram(int index) => _buffer.AsSpan(0, _length);

    public override void Dispose()
    {
    }
}
