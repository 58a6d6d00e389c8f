namespace UdpOverTcp.Links.Upgrade;

/// <summary>How far <see cref="HttpHead"/> has read.</summary>
public enum HeadState
{
    Reading,

    /// <summary>The blank line (CRLF CRLF) is in: <see cref="HttpHead.Bytes"/> is the whole head.</summary>
    Complete,

    /// <summary>No blank line within <see cref="HttpHead.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>A line ended in LF alone: HTTP/1.1 wants CRLF, and a strict end takes nothing looser.</summary>
    BareLineFeed,
}

/// <summary>
/// Collects one HTTP/1.1 head (a request or a status line and its header lines, up to the blank line)
/// without doing any I/O, in the manner of the auth Handshake: the caller peeks at the socket into
/// <see cref="Free"/>, and <see cref="Take"/> says how many of those bytes are the head's, which the caller
/// then consumes. Bytes after the head stay in the socket, where the link (or the --secret-file handshake)
/// finds them as its first bytes: nothing of what the peer sent after its head is lost or copied.
/// </summary>
public sealed class HttpHead
{
    /// <summary>A head longer than this is not an Upgrade request or answer (Go and nginx send a few hundred bytes).</summary>
    public const int MaxBytes = 8 * 1024;

    private readonly byte[] _buffer = new byte[MaxBytes];
    private int _length;

    public HeadState State { get; private set; }

    /// <summary>Where the next peeked bytes go: at most what is left of <see cref="MaxBytes"/>.</summary>
    public Span<byte> Free => _buffer.AsSpan(_length);

    /// <summary>The head as far as it is taken, its blank line included once <see cref="State"/> is Complete.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>
    /// Takes <paramref name="count"/> bytes just placed at the start of <see cref="Free"/>; returns how many of
    /// them belong to the head: all of them while it goes on, fewer when it ends (or turns out bad) among them.
    /// </summary>
    public int Take(int count)
    {
        if (State != HeadState.Reading || count <= 0 || count > MaxBytes - _length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        int start = _length;
        for (int i = start; i < start + count; i++)
        {
            if (_buffer[i] != '\n')
            {
                continue;
            }

            if (i == 0 || _buffer[i - 1] != '\r')
            {
                return End(HeadState.BareLineFeed, i + 1, start);
            }

            if (i >= 3 && _buffer[i - 2] == '\n' && _buffer[i - 3] == '\r')
            {
                return End(HeadState.Complete, i + 1, start);
            }
        }

        _length += count;
        if (_length == MaxBytes)
        {
            State = HeadState.TooLarge;
        }

        return count;
    }

    private int End(HeadState state, int length, int start)
    {
        State = state;
        _length = length;
        return length - start;
    }
}
