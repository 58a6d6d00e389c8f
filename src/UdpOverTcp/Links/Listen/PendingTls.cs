using System.Net.Sockets;
using UdpOverTcp.Links.Setup;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Links.Upgrade;

namespace UdpOverTcp.Links.Listen;

/// <summary>Where a pending connection's TLS stands after <see cref="PendingTls.Pump"/>.</summary>
public enum TlsPumpResult
{
    /// <summary>Still open: the handshake goes on, or it is done and the set-up steps may read.</summary>
    Open,

    /// <summary>The client went away (or reset, or the answer could not be sent).</summary>
    Closed,

    /// <summary>Not a TLS 1.3 client, or its handshake failed: <see cref="PendingTls.Failure"/> says why.</summary>
    Failed,
}

/// <summary>
/// --tls-cert: the server side of TLS on a pending connection's non-blocking socket, one poll's worth at a
/// time on the acceptor's thread (Listen.PendingHandshakes keeps the deadline and the admission, so a client
/// that opens TLS and stalls costs what any stalled connection costs). <see cref="Pump"/> reads what the
/// socket has and answers the handshake; once it is done, the set-up steps read the plaintext through this
/// channel. What they do not take (the first frames, sent with the last set-up bytes) is the link's:
/// <see cref="Leftover"/>, then what the session still holds.
/// </summary>
/// <param name="scratch">The acceptor thread's one buffer for ciphertext in and out: the bytes are copied into (or out of) the session at once.</param>
public sealed class PendingTls(Socket socket, TlsSession session, byte[] scratch) : IPendingChannel, IDisposable
{
    /// <summary>Plaintext is decrypted this much at a time; OpenSSL keeps the rest of a longer record for the next read.</summary>
    private const int PlainChunk = 4096;

    private readonly DecryptedBytes _plain = new(session, PlainChunk);   // its buffer comes at the first read after the handshake
    private bool _handedOver;
    private bool _broken;   // a record did not decrypt: the session is unusable, the connection over

    public TlsSession Session => session;

    public bool IsHandshakeDone => session.IsHandshakeDone;

    /// <summary>Why the handshake failed, after <see cref="TlsPumpResult.Failed"/>: OpenSSL's reason in one line.</summary>
    public string? Failure { get; private set; }

    /// <summary>Plaintext taken by the set-up steps so far: the caller goes on while they take more.</summary>
    public long Taken { get; private set; }

    /// <summary>Whether plaintext is there for the set-up steps, decrypted already or still in the session.</summary>
    public bool HasPlaintext => IsHandshakeDone && (!_plain.IsEmpty || Refill());

    /// <summary>Decrypted bytes no set-up step took: the link's first bytes.</summary>
    public ReadOnlyMemory<byte> Leftover => _plain.Leftover;

    /// <summary>
    /// One read of what the socket has, fed to the session; the handshake's answer is sent at once.
    /// <paramref name="readable"/>: poll said so, and then nothing to read means urgent data, which no TLS client sends.
    /// </summary>
    public TlsPumpResult Pump(bool readable)
    {
        int count = socket.Receive(scratch, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            return readable ? Fail("urgent data, which no TLS client sends") : TlsPumpResult.Open;
        }

        if (error != SocketError.Success || count == 0)
        {
            return TlsPumpResult.Closed;
        }

        var received = scratch.AsSpan(0, count);
        if (IsHandshakeDone)
        {
            if (_broken)
            {
                return TlsPumpResult.Closed;
            }

            session.Decrypt(received, []);   // only buffers it (a memory BIO grows): the set-up steps decrypt as they read
            return Flush() ? TlsPumpResult.Open : TlsPumpResult.Closed;
        }

        try
        {
            session.Handshake(received);
        }
        catch (TlsException e)
        {
            Flush();   // OpenSSL's alert, so the client says why too
            return Fail(e.Message);
        }

        return Flush() ? TlsPumpResult.Open : TlsPumpResult.Closed;
    }

    public int Receive(Span<byte> destination, SocketFlags flags, out SocketError error)
    {
        error = SocketError.Success;
        if (!IsHandshakeDone)
        {
            error = SocketError.WouldBlock;
            return 0;
        }

        if (_plain.IsEmpty && !Refill())
        {
            error = _broken ? SocketError.ConnectionReset
                : session.PeerClosed ? SocketError.Success   // 0 and Success: the client sent close_notify
                : SocketError.WouldBlock;
            return 0;
        }

        bool consume = flags != SocketFlags.Peek;
        int count = _plain.CopyTo(destination, consume);
        Taken += consume ? count : 0;
        return count;
    }

    public bool Send(ReadOnlySpan<byte> bytes)
    {
        if (_broken)
        {
            return false;
        }

        try
        {
            while (!bytes.IsEmpty)
            {
                int chunk = Math.Min(bytes.Length, TlsSession.MaxRecordPlaintext);
                int sealedLength = session.Encrypt(bytes[..chunk], scratch);
                if (socket.Send(scratch.AsSpan(0, sealedLength), SocketFlags.None, out _) != sealedLength)
                {
                    return false;
                }

                bytes = bytes[chunk..];
            }

            return Flush();
        }
        catch (TlsException)
        {
            return false;
        }
    }

    public void DiscardWaitingAndShutdown()
    {
        session.Close();   // close_notify after the answer, as a web server over TLS ends a refused request (nothing on a broken session)
        Flush();
        HeadReader.DiscardWaitingAndShutdown(socket);
    }

    /// <summary>The session goes to the link with <see cref="Leftover"/>: this no longer frees it.</summary>
    public TlsSession HandOver()
    {
        session.KeepBuffers();
        _handedOver = true;
        return session;
    }

    public void Dispose()
    {
        if (!_handedOver)
        {
            session.Dispose();
        }
    }

    /// <summary>Decrypts more into the empty plaintext buffer; false when none is ready (or a record was bad: <see cref="_broken"/>).</summary>
    private bool Refill()
    {
        if (_broken || session.PeerClosed)
        {
            return false;
        }

        int count;
        try
        {
            count = _plain.Refill([]);
        }
        catch (TlsException)
        {
            _broken = true;
            return false;
        }

        Flush();   // what reading made, if anything (see TlsSession), goes out at once (this thread is the only sender during the set-up); a failed send shows at the next one
        return count > 0;
    }

    /// <summary>Sends what the session has for the client; false when the socket did not take all of it.</summary>
    private bool Flush()
    {
        int count;
        while ((count = session.TakeCiphertext(scratch)) > 0)
        {
            if (socket.Send(scratch.AsSpan(0, count), SocketFlags.None, out _) != count)
            {
                return false;
            }
        }

        return true;
    }

    private TlsPumpResult Fail(string reason)
    {
        Failure = reason;
        return TlsPumpResult.Failed;
    }
}
