using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench;

/// <summary>Sends sequence-numbered datagrams as fast as the socket takes them, for a fixed time.</summary>
public sealed class DatagramGenerator : IDisposable
{
    private readonly Socket _socket;

    public DatagramGenerator(IPEndPoint bind)
    {
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.SendBufferSize = Cli.TunnelOptions.DefaultUdpBuffer;
        _socket.Bind(bind);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Returns how many datagrams were sent.</summary>
    public long Run(IPEndPoint target, int size, TimeSpan duration, CancellationToken cancellationToken)
    {
        var address = target.Serialize();
        var datagram = new byte[size];
        long sent = 0;
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (!cancellationToken.IsCancellationRequested)
        {
            // Reading the clock every datagram costs ~20 ns; every 64 keeps the overrun negligible.
            if ((sent & 63) == 0 && Stopwatch.GetTimestamp() >= end)
            {
                break;
            }

            SequencedPayload.Fill(datagram, sent);
            try
            {
                _socket.SendTo(datagram, SocketFlags.None, address);
            }
            catch (SocketException)
            {
                // ENOBUFS under overload: the datagram is lost like any other overflow.
            }

            sent++;
        }

        return sent;
    }

    public void Dispose() => _socket.Dispose();
}
