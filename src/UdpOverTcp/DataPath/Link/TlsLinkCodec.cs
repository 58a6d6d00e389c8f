using System.Buffers;
using System.IO.Pipelines;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// A link's TLS (--tcp-connect https://), for both kinds of link loops: the session the set-up shook hands
/// with, and the link's two ciphertext buffers, pinned and allocated once per link. The receive loop
/// receives into <see cref="Received"/> and <see cref="Deliver"/>s; the send loop <see cref="Seal"/>s a
/// chunk of plaintext into <see cref="ToSend"/> and sends all of it before the next. Only the send loop
/// sends: ciphertext that reading made (see TlsSession) rings its doorbell, and it takes it with
/// <see cref="TakePending"/>. Nothing here allocates per datagram.
/// </summary>
public sealed class TlsLinkCodec(TlsSession session, ReadOnlyMemory<byte> leftover) : IDisposable
{
    /// <summary>The most plaintext one <see cref="Seal"/> takes: four full records.</summary>
    public const int ChunkBytes = TlsSession.MaxRecordPlaintext * 4;

    /// <summary>
    /// The most one <see cref="Seal"/> is given: the send loop's chunks end on a frame boundary, so one asked
    /// for <see cref="ChunkBytes"/> runs on to the end of the frame it stops in, a whole datagram and its length
    /// at most. (Buffers of only ChunkBytes threw on such a chunk in two segments, and the link went down.)
    /// </summary>
    public const int MaxSealBytes = ChunkBytes + Datagram.MaxSize + 4;

    private readonly byte[] _plain = GC.AllocateUninitializedArray<byte>(MaxSealBytes, pinned: true);
    private ReadOnlyMemory<byte> _leftover = leftover;

    public TlsSession Session => session;

    /// <summary>Where the receive loop receives ciphertext.</summary>
    public byte[] Received { get; } = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);

    /// <summary>Where <see cref="Seal"/> and <see cref="TakePending"/> put ciphertext to send.</summary>
    public byte[] ToSend { get; } = GC.AllocateUninitializedArray<byte>(TlsSession.MaxCiphertextLength(MaxSealBytes), pinned: true);

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> (empty: what the session holds already) into
    /// <paramref name="writer"/>, all that is ready; returns how many plaintext bytes (to flush when more
    /// than 0). The first call also writes what the set-up decrypted past its own bytes. Throws
    /// <see cref="TlsException"/>; after it, <see cref="TlsSession.PeerClosed"/> says whether the peer ended.
    /// </summary>
    public int Deliver(ReadOnlySpan<byte> ciphertext, PipeWriter writer, TcpLink link)
    {
        int total = 0;
        if (!_leftover.IsEmpty)
        {
            writer.Write(_leftover.Span);
            total = _leftover.Length;
            _leftover = default;
        }

        while (true)
        {
            var span = writer.GetSpan(16 * 1024);
            int count = session.Decrypt(ciphertext, span);
            ciphertext = [];
            writer.Advance(count);
            total += count;
            if (count < span.Length)
            {
                break;
            }
        }

        if (session.PendingCiphertext > 0)
        {
            link.WakeSendLoop();   // never sent from here: one sending thread
        }

        return total;
    }

    /// <summary>Encrypts <paramref name="chunk"/> (at most <see cref="MaxSealBytes"/>) with what else waits to be sent; returns the ciphertext's length in <see cref="ToSend"/>.</summary>
    public int Seal(in ReadOnlySequence<byte> chunk)
    {
        ReadOnlySpan<byte> plain;
        if (chunk.IsSingleSegment)
        {
            plain = chunk.FirstSpan;
        }
        else
        {
            chunk.CopyTo(_plain);
            plain = _plain.AsSpan(0, (int)chunk.Length);
        }

        return session.Encrypt(plain, ToSend);
    }

    /// <summary>Ciphertext waiting without plaintext of its own (what reading made), into <see cref="ToSend"/>; 0 when none.</summary>
    public int TakePending() => session.TakeCiphertext(ToSend);

    public void Dispose() => session.Dispose();
}
