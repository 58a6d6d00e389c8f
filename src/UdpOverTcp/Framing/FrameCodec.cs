using System.Buffers;
using System.Buffers.Binary;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Framing;

/// <summary>
/// Length-prefixed datagram framing over a byte stream. Pure: no I/O, no allocation.
/// One instance per tunnel; both ends must agree on <see cref="Kind"/>.
/// </summary>
public sealed class FrameCodec
{
    /// <summary>The default and largest accepted <c>--max-frame</c>: the largest UDP payload (IPv6 jumbograms aside).</summary>
    public const int DefaultMaxFrame = Datagram.MaxSize;

    public FrameCodec(FramingKind kind = FramingKind.U32LittleEndian, int maxFrame = DefaultMaxFrame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrame);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrame, DefaultMaxFrame);
        Kind = kind;
        MaxFrame = maxFrame;
        HeaderSize = kind == FramingKind.U32LittleEndian ? 4 : 2;
    }

    public FramingKind Kind { get; }

    /// <summary>Frames with a longer payload are a protocol error on read and refused on write.</summary>
    public int MaxFrame { get; }

    /// <summary>Bytes of length prefix in front of each payload.</summary>
    public int HeaderSize { get; }

    /// <summary>
    /// Takes one complete frame off the front of <paramref name="buffer"/>.
    /// Returns false (leaving <paramref name="buffer"/> untouched) when the frame is not complete yet.
    /// </summary>
    /// <exception cref="FrameTooLargeException">The length prefix exceeds <see cref="MaxFrame"/>.</exception>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        if (buffer.Length < HeaderSize)
        {
            payload = default;
            return false;
        }

        long length = ReadLength(buffer);
        if (length > MaxFrame)
        {
            throw new FrameTooLargeException(length, MaxFrame);
        }

        if (buffer.Length - HeaderSize < length)
        {
            payload = default;
            return false;
        }

        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Writes <paramref name="payload"/> with its length prefix.</summary>
    public void WriteFrame(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(HeaderSize + payload.Length);
        WriteHeader(span, payload.Length);
        payload.CopyTo(span[HeaderSize..]);
        writer.Advance(HeaderSize + payload.Length);
    }

    /// <summary>
    /// Writes the length prefix for a payload of <paramref name="payloadLength"/> bytes into the first
    /// <see cref="HeaderSize"/> bytes of <paramref name="destination"/>. Lets a caller receive a datagram
    /// straight behind the header and frame it without copying.
    /// </summary>
    public void WriteHeader(Span<byte> destination, int payloadLength)
    {
        if ((uint)payloadLength > (uint)MaxFrame)
        {
            throw new FrameTooLargeException(payloadLength, MaxFrame);
        }

        if (Kind == FramingKind.U32LittleEndian)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payloadLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)payloadLength);
        }
    }

    private long ReadLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[4];
        var first = buffer.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            first[..HeaderSize].CopyTo(header);
        }
        else
        {
            buffer.Slice(0, HeaderSize).CopyTo(header);
        }

        return Kind == FramingKind.U32LittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(header)
            : BinaryPrimitives.ReadUInt16BigEndian(header);
    }
}
