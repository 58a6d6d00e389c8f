using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// A TlsSession pumped over a blocking loopback socket, the way a link loop will: the socket I/O here,
/// the crypto in the session. One thread may Send while another Receives, as a link's send loop and
/// receive thread do. Every receive is bounded by the guard's timeout.
/// </summary>
public sealed class TlsOverSocket : IDisposable
{
    private readonly byte[] _received = new byte[64 * 1024];
    private readonly byte[] _toSend = new byte[TlsSession.MaxCiphertextLength(64 * 1024)];

    public TlsOverSocket(Socket socket, TlsSession session)
    {
        Socket = socket;
        Session = session;
        socket.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
        socket.SendTimeout = (int)Guard.Timeout.TotalMilliseconds;
        socket.NoDelay = true;
    }

    public Socket Socket { get; }

    public TlsSession Session { get; }

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
    public void Handshake()
    {
        ReadOnlySpan<byte> received = [];
        while (true)
        {
            bool done;
            try
            {
                done = Session.Handshake(received);
            }
            catch (TlsException)
            {
                TrySendAlert();
                throw;
            }

            Flush();

            if (done)
            {
                return;
            }

            int count = Socket.Receive(_received);
            if (count == 0)
            {
                throw new IOException("the peer closed the connection during the handshake");
            }

            received = _received.AsSpan(0, count);
        }
    }

    public void Send(ReadOnlySpan<byte> plaintext)
    {
        while (!plaintext.IsEmpty)
        {
            int chunk = Math.Min(plaintext.Length, 64 * 1024);
            int count = Session.Encrypt(plaintext[..chunk], _toSend);
            Socket.Send(_toSend.AsSpan(0, count));
            Flush();
            plaintext = plaintext[chunk..];
        }
    }

    /// <summary>Plaintext into <paramref name="destination"/>, at least one byte; 0 when the peer closed.</summary>
    public int Receive(Span<byte> destination)
    {
        int count = Session.Decrypt([], destination);
        while (count == 0 && !Session.PeerClosed)
        {
            int received = Socket.Receive(_received);
            if (received == 0)
            {
                return 0;
            }

            // Not flushed from here: ciphertext goes out from the sending thread only, or two threads' sends could
            // interleave on the socket. What reading made (a KeyUpdate's answer) leaves with the next Send.
            count = Session.Decrypt(_received.AsSpan(0, received), destination);
        }

        return count;
    }

    /// <summary>Receives exactly <paramref name="length"/> bytes of plaintext.</summary>
    public byte[] ReceiveExactly(int length)
    {
        byte[] data = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            int count = Receive(data.AsSpan(filled));
            filled += count > 0 ? count : throw new IOException($"the peer closed after {filled} of {length} bytes");
        }

        return data;
    }

    public void Dispose()
    {
        Session.Dispose();
        Socket.Dispose();
    }

    /// <summary>The alert a failed handshake left; a peer that already hung up is no reason to hide the TLS error.</summary>
    private void TrySendAlert()
    {
        try
        {
            Flush();
        }
        catch (SocketException)
        {
        }
    }

    private void Flush()
    {
        int count;
        while ((count = Session.TakeCiphertext(_toSend)) > 0)
        {
            Socket.Send(_toSend.AsSpan(0, count));
        }
    }
}
