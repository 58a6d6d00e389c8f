using System.Net.Sockets;
using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.Links.Setup;

/// <summary>
/// A <see cref="TlsSession"/> pumped over a blocking socket for the link's set-up: the handshake, then the
/// Upgrade and the --secret-file handshake as plaintext. Plaintext received past what the set-up read
/// stays in <see cref="Leftover"/> (and in the session, for its first Decrypt): the link's first bytes.
/// One thread only; the link loops take the session over afterwards.
/// </summary>
public sealed class TlsSetupChannel(Socket socket, TlsSession session) : ISetupChannel
{
    private readonly byte[] _received = new byte[TlsSession.MaxRecordPlaintext + 1024];
    private readonly byte[] _toSend = new byte[TlsSession.MaxCiphertextLength(TlsSession.MaxRecordPlaintext)];
    private readonly DecryptedBytes _plain = new(session, TlsSession.MaxRecordPlaintext);

    public TlsSession Session => session;

    /// <summary>Decrypted bytes no set-up step took: they belong to the link.</summary>
    public ReadOnlyMemory<byte> Leftover => _plain.Leftover;

    /// <summary>Runs the handshake to its end; a failure sends OpenSSL's alert, then throws its <see cref="TlsException"/>.</summary>
    public void Handshake()
    {
        ReadOnlySpan<byte> received = [];
        while (true)
        {
            bool done;
            try
            {
                done = session.Handshake(received);
            }
            catch (TlsException)
            {
                try
                {
                    Flush();
                }
                catch (SocketException)
                {
                    // The server hung up already: the TLS reason is still the one to tell.
                }

                throw;
            }

            Flush();
            if (done)
            {
                return;
            }

            int count = socket.Receive(_received);
            if (count == 0)
            {
                throw new TlsException("TLS handshake failed: the server closed the connection");
            }

            received = _received.AsSpan(0, count);
        }
    }

    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int chunk = Math.Min(bytes.Length, TlsSession.MaxRecordPlaintext);
            SendAll(_toSend.AsSpan(0, session.Encrypt(bytes[..chunk], _toSend)));
            bytes = bytes[chunk..];
        }

        Flush();
    }

    public int Receive(Span<byte> destination) => Read(destination, consume: true);

    public int Peek(Span<byte> destination) => Read(destination, consume: false);

    private int Read(Span<byte> destination, bool consume) => _plain.IsEmpty && !Fill() ? 0 : _plain.CopyTo(destination, consume);

    /// <summary>Decrypts more into the empty plaintext buffer; false when the server closed.</summary>
    private bool Fill()
    {
        int count = _plain.Refill([]);
        while (count == 0 && !session.PeerClosed)
        {
            int received = socket.Receive(_received);
            if (received == 0)
            {
                return false;
            }

            count = _plain.Refill(_received.AsSpan(0, received));
            Flush();   // what reading made, if anything (see TlsSession): this thread is the only sender during the set-up
        }

        return count > 0;
    }

    private void Flush()
    {
        int count;
        while ((count = session.TakeCiphertext(_toSend)) > 0)
        {
            SendAll(_toSend.AsSpan(0, count));
        }
    }

    private void SendAll(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }
}
