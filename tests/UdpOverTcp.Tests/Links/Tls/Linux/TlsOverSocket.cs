using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Links.Setup;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// A TlsSession over a blocking loopback socket, pumped by the set-up's own <see cref="TlsSetupChannel"/>
/// (the handshake, Send and Receive), with every receive bounded by the guard's timeout. The channel is
/// one thread's; what it lacks is the link loops' shape, one thread sending while another receives:
/// <see cref="ReceiveExactly"/> can receive without the channel for that.
/// </summary>
public sealed class TlsOverSocket : IDisposable
{
    private readonly TlsSetupChannel _channel;
    private readonly byte[] _received = new byte[64 * 1024];

    public TlsOverSocket(Socket socket, TlsSession session)
    {
        Socket = socket;
        socket.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
        socket.SendTimeout = (int)Guard.Timeout.TotalMilliseconds;
        socket.NoDelay = true;
        _channel = new TlsSetupChannel(socket, session);
    }

    public Socket Socket { get; }

    public TlsSession Session => _channel.Session;

    /// <summary>A client: connects to 127.0.0.1:<paramref name="port"/> and shakes hands.</summary>
    public static TlsOverSocket Connect(TlsClientSettings settings, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        var link = new TlsOverSocket(socket, settings.NewSession());
        try
        {
            link.Handshake();
            return link;
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    /// <summary>Runs the handshake to its end; a failure still sends OpenSSL's alert before it throws.</summary>
    public void Handshake() => _channel.Handshake();

    public void Send(ReadOnlySpan<byte> plaintext) => _channel.Send(plaintext);

    /// <summary>
    /// Receives exactly <paramref name="length"/> bytes of plaintext. <paramref name="whileAnotherThreadSends"/>:
    /// straight from the session, never sending (the channel would send a KeyUpdate's answer from here, and
    /// its send buffer is the sending thread's), as a link's receive thread does.
    /// </summary>
    public byte[] ReceiveExactly(int length, bool whileAnotherThreadSends = false)
    {
        byte[] data = new byte[length];
        for (int filled = 0, count; filled < length; filled += count)
        {
            count = whileAnotherThreadSends ? ReceiveWithoutSending(data.AsSpan(filled)) : _channel.Receive(data.AsSpan(filled));
            if (count == 0)
            {
                throw new IOException($"the peer closed after {filled} of {length} bytes");
            }
        }

        return data;
    }

    public void Dispose()
    {
        Session.Dispose();
        Socket.Dispose();
    }

    /// <summary>Plaintext into <paramref name="destination"/>, at least one byte; 0 when the peer closed.</summary>
    private int ReceiveWithoutSending(Span<byte> destination)
    {
        int count = Session.Decrypt([], destination);
        while (count == 0 && !Session.PeerClosed)
        {
            int received = Socket.Receive(_received);
            if (received == 0)
            {
                return 0;
            }

            count = Session.Decrypt(_received.AsSpan(0, received), destination);
        }

        return count;
    }
}
