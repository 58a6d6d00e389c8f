using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.Links.Setup;

/// <summary>
/// Plaintext decrypted ahead of a set-up step that reads it piece by piece (the Upgrade's head is peeked,
/// then exactly its part taken): the set-up channels over TLS, blocking (<see cref="TlsSetupChannel"/>) and
/// not (Listen.PendingTls), keep it here. What no step took is the link's first bytes (<see cref="Leftover"/>).
/// </summary>
public sealed class DecryptedBytes(TlsSession session, int capacity)
{
    private byte[]? _buffer;   // at the first refill: a connection that never gets that far costs nothing here
    private int _start;
    private int _end;

    public bool IsEmpty => _start == _end;

    /// <summary>Decrypted bytes no set-up step took.</summary>
    public ReadOnlyMemory<byte> Leftover => _buffer is null ? default : _buffer.AsMemory(_start, _end - _start);

    /// <summary>Copies up to <paramref name="destination"/>'s length; <paramref name="consume"/>: they are taken, else the next copy sees them again.</summary>
    public int CopyTo(Span<byte> destination, bool consume)
    {
        int count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        if (consume)
        {
            _start += count;
        }

        return count;
    }

    /// <summary>Feeds <paramref name="ciphertext"/> (may be empty) and decrypts into the emptied buffer; returns how much. Throws <see cref="TlsException"/>.</summary>
    public int Refill(ReadOnlySpan<byte> ciphertext)
    {
        _buffer ??= new byte[capacity];
        _start = _end = 0;
        _end = session.Decrypt(ciphertext, _buffer);
        return _end;
    }
}
