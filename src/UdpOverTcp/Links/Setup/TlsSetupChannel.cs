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
    private readonly byte[] _plain = new byte[TlsSession.MaxRecordPlaintext];
    private int _start;
    private int _end;

    public TlsSession Session => session;

    /// <summary>Decrypted bytes no set-up step took: they belong to the link.</summary>
    public ReadOnlyMemory<byte> Leftover => _plain.AsMemory(_start, _end - _start);

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

    public int Receive(Span<byte> destination)
    {
        int count = Peek(destination);
        _start += count;
        return count;
    }

    public int Peek(Span<byte> destination)
    {
        if (_start == _end && !Fill())
        {
            return 0;
        }

        int count = Math.Min(destination.Length, _end - _start);
        _plain.AsSpan(_start, count).CopyTo(destination);
        return count;
    }

    /// <summary>Decrypts more into the empty plaintext buffer; false when the server closed.</summary>
    private bool Fill()
    {
        _start = 0;
        _end = session.Decrypt([], _plain);
        while (_end == 0 && !session.PeerClosed)
        {
            int count = socket.Receive(_received);
            if (count == 0)
            {
                return false;
            }

            _end = session.Decrypt(_received.AsSpan(0, count), _plain);
            Flush();   // what reading made, if anything (see TlsSession): this thread is the only sender during the set-up
        }

        return _end > 0;
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
