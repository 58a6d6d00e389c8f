using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>
/// One TLS connection over two memory BIOs: OpenSSL never touches the socket. The caller feeds the
/// ciphertext it received in (<see cref="Handshake"/>, <see cref="Decrypt"/>) and sends the ciphertext it
/// is given out (<see cref="Encrypt"/>, <see cref="TakeCiphertext"/>), doing its socket I/O itself,
/// outside the lock. One SSL may not run SSL_read and SSL_write on two threads at once, and the link
/// loops have a receive thread and a send loop: every OpenSSL call on the session holds one lock, and
/// only for as long as the call (a memory BIO never blocks). Encrypt and Decrypt allocate nothing.
/// Ciphertext must leave from one thread, the sending one, in the order the session gives it out:
/// two threads taking and sending could interleave or reorder records. Decrypt can leave ciphertext
/// behind (<see cref="PendingCiphertext"/>), should OpenSSL answer something it read: the sending thread takes it.
/// (OpenSSL 3.0 answers a KeyUpdate that asks for one only with the next record it encrypts, as RFC 8446 4.6.3
/// allows: a link that only receives answers when it next sends. KeyUpdateAgainstOpenSslTests show both.)
/// Made by <see cref="TlsClientSettings.NewSession"/> or <see cref="TlsServerContext.NewSession"/>.
/// </summary>
public sealed unsafe class TlsSession : IDisposable
{
    /// <summary>What TLS 1.3 adds to each record: a 5-byte header, the content-type byte and a 16-byte tag (AES-GCM, ChaCha20-Poly1305).</summary>
    public const int RecordOverhead = 22;

    /// <summary>The most plaintext one record carries.</summary>
    public const int MaxRecordPlaintext = 16384;

    private readonly Lock _gate = new();
    private readonly SafeSslHandle _ssl;
    private readonly nint _received;   // read BIO: ciphertext from the peer, for OpenSSL to read
    private readonly nint _toSend;     // write BIO: ciphertext OpenSSL wrote, for the caller to send
    private readonly TlsPin? _pin;
    private bool _failed;
    private bool _closed;   // close_notify queued: no more Encrypt, Decrypt still reads what the peer sends

    public TlsSession(SafeSslHandle ssl, TlsPin? pin)
    {
        _ssl = ssl;
        _pin = pin;
        _received = OpenSsl.BIO_new(OpenSsl.BIO_s_mem());
        _toSend = OpenSsl.BIO_new(OpenSsl.BIO_s_mem());
        if (_received == 0 || _toSend == 0)
        {
            OpenSsl.BIO_free(_received);
            OpenSsl.BIO_free(_toSend);
            ssl.Dispose();
            throw new TlsException("cannot make memory BIOs: " + OpenSslErrors.TakeReason("out of memory"));
        }

        OpenSsl.SSL_set_bio(ssl, _received, _toSend);   // the SSL owns both from here: SSL_free frees them
    }

    /// <summary>The handshake finished (and, with a pin, the pin matched): Encrypt and Decrypt may run.</summary>
    public bool IsHandshakeDone { get; private set; }

    /// <summary>The peer sent close_notify: no more plaintext will come.</summary>
    public bool PeerClosed { get; private set; }

    /// <summary>Ciphertext waiting for <see cref="TakeCiphertext"/>.</summary>
    public int PendingCiphertext
    {
        get
        {
            lock (_gate)
            {
                return _ssl.IsClosed ? 0 : (int)OpenSsl.BIO_ctrl_pending(_toSend);
            }
        }
    }

    /// <summary>The most ciphertext <see cref="Encrypt"/> makes of <paramref name="plaintextLength"/> bytes.</summary>
    public static int MaxCiphertextLength(int plaintextLength) =>
        plaintextLength + ((plaintextLength / MaxRecordPlaintext) + 1) * RecordOverhead;

    /// <summary>
    /// Feeds <paramref name="received"/> (empty for the client's first step) and advances the handshake.
    /// After each call, send what <see cref="TakeCiphertext"/> gives, then wait for more from the peer
    /// unless it returned true. A failure throws a <see cref="TlsException"/> with a one-line reason; the
    /// alert OpenSSL made for the peer is still waiting in <see cref="TakeCiphertext"/>.
    /// </summary>
    public bool Handshake(ReadOnlySpan<byte> received)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            Feed(received);
            if (IsHandshakeDone)
            {
                return true;
            }

            OpenSsl.ERR_clear_error();   // SSL_get_error reads the thread's queue: stale errors from elsewhere would be taken for this call's
            int result = OpenSsl.SSL_do_handshake(_ssl);
            if (result != 1)
            {
                int error = OpenSsl.SSL_get_error(_ssl, result);
                if (error is OpenSsl.SSL_ERROR_WANT_READ or OpenSsl.SSL_ERROR_WANT_WRITE)
                {
                    return false;
                }

                throw Fail(HandshakeFailure());
            }

            if (_pin is not null)
            {
                CheckPin(_pin);
            }

            IsHandshakeDone = true;
            return true;
        }
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of the ciphertext waiting to be sent into it; returns how much.</summary>
    public int TakeCiphertext(Span<byte> destination)
    {
        lock (_gate)
        {
            return _ssl.IsClosed ? 0 : Drain(destination);
        }
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into records and moves them, with anything else waiting to be
    /// sent, into <paramref name="ciphertext"/>; returns how many bytes. Size it with
    /// <see cref="MaxCiphertextLength"/>; what does not fit waits for <see cref="TakeCiphertext"/>.
    /// </summary>
    public int Encrypt(ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        lock (_gate)
        {
            ThrowIfNotReady();
            if (_closed)
            {
                throw new InvalidOperationException("the TLS session was closed: nothing can be sent after close_notify");
            }

            if (!plaintext.IsEmpty)
            {
                OpenSsl.ERR_clear_error();
                fixed (byte* data = plaintext)
                {
                    if (OpenSsl.SSL_write_ex(_ssl, data, (nuint)plaintext.Length, out nuint written) != 1 || (int)written != plaintext.Length)
                    {
                        throw Fail("TLS write failed: " + OpenSslErrors.TakeReason("unknown error"));
                    }
                }
            }

            return Drain(ciphertext);
        }
    }

    /// <summary>
    /// Feeds <paramref name="ciphertext"/> and decrypts what whole records it completes into
    /// <paramref name="plaintext"/>; returns how many bytes. A partial record waits for the rest. When the
    /// result fills <paramref name="plaintext"/>, more may be ready: call again with an empty span.
    /// Reading may make ciphertext to send (see the class's summary): <see cref="PendingCiphertext"/>.
    /// </summary>
    public int Decrypt(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        lock (_gate)
        {
            ThrowIfNotReady();
            Feed(ciphertext);
            int total = 0;
            fixed (byte* start = plaintext)
            {
                while (total < plaintext.Length && !PeerClosed)
                {
                    OpenSsl.ERR_clear_error();
                    if (OpenSsl.SSL_read_ex(_ssl, start + total, (nuint)(plaintext.Length - total), out nuint read) == 1)
                    {
                        total += (int)read;
                        continue;
                    }

                    int error = OpenSsl.SSL_get_error(_ssl, 0);
                    if (error == OpenSsl.SSL_ERROR_WANT_READ)
                    {
                        break;
                    }

                    PeerClosed = error == OpenSsl.SSL_ERROR_ZERO_RETURN
                        ? true
                        : throw Fail("TLS read failed: " + OpenSslErrors.TakeReason("unknown error"));
                }
            }

            return total;
        }
    }

    /// <summary>From the set-up to the link: OpenSSL keeps the record buffers between records again (see TlsServerContext.NewSession).</summary>
    public void KeepBuffers()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            OpenSsl.SSL_ctrl(_ssl, OpenSsl.SSL_CTRL_CLEAR_MODE, OpenSsl.SSL_MODE_RELEASE_BUFFERS, 0);
        }
    }

    /// <summary>Queues close_notify for the peer (send it with <see cref="TakeCiphertext"/>); the session cannot encrypt after it.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (!_ssl.IsClosed && IsHandshakeDone && !_failed && !_closed)
            {
                OpenSsl.ERR_clear_error();
                OpenSsl.SSL_shutdown(_ssl);   // 0: sent ours, the peer's not yet read; the tunnel does not wait for it
                OpenSsl.ERR_clear_error();
                _closed = true;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _ssl.Dispose();
        }
    }

    private void Feed(ReadOnlySpan<byte> received)
    {
        if (received.IsEmpty)
        {
            return;
        }

        fixed (byte* data = received)
        {
            if (OpenSsl.BIO_write(_received, data, received.Length) != received.Length)   // a memory BIO grows: only memory can fail it
            {
                throw Fail("cannot buffer received TLS data: " + OpenSslErrors.TakeReason("out of memory"));
            }
        }
    }

    private int Drain(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        fixed (byte* start = destination)
        {
            int read = OpenSsl.BIO_read(_toSend, start, destination.Length);
            return read > 0 ? read : 0;   // an empty memory BIO reads -1 ("retry"), not 0
        }
    }

    private string HandshakeFailure()
    {
        // With a pin, OpenSSL still verifies the chain and records why it would fail ("self-signed certificate"),
        // but does not act on it: that is no reason for a failure of something else.
        long verify = OpenSsl.SSL_get_verify_result(_ssl);
        if (_pin is null && verify != OpenSsl.X509_V_OK)
        {
            OpenSsl.ERR_clear_error();
            return "certificate verify failed: " + OpenSslErrors.VerifyReason(verify);
        }

        return "TLS handshake failed: " + OpenSslErrors.TakeReason("the connection ended");
    }

    private void CheckPin(TlsPin pin)
    {
        Span<byte> certificate = stackalloc byte[OpenSsl.Sha256Length];
        Span<byte> publicKey = stackalloc byte[OpenSsl.Sha256Length];
        if (!PeerCertificate.TryHash(_ssl, certificate, publicKey))
        {
            throw Fail("pin mismatch: the server sent no certificate");
        }

        if (!pin.Matches(certificate, publicKey))
        {
            throw Fail($"pin mismatch: got {TlsPin.Format(certificate)} (certificate), {TlsPin.Format(publicKey)} (public key), want {pin}");
        }
    }

    private TlsException Fail(string reason)
    {
        _failed = true;
        return new TlsException(reason);
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_ssl.IsClosed, this);
        if (_failed)
        {
            throw new InvalidOperationException("the TLS session failed");
        }
    }

    private void ThrowIfNotReady()
    {
        ThrowIfUnusable();
        if (!IsHandshakeDone)
        {
            throw new InvalidOperationException("the TLS handshake is not done");
        }
    }
}
