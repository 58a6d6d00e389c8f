using System.Buffers;

namespace UdpOverTcp.Framing;

/// <summary>
/// Walks whole frames already in a queue (bytes this tunnel framed itself, so every length prefix is
/// sound): where each ends, and how many there are. The send side needs it to drop or interleave at frame
/// boundaries, never inside a frame.
/// </summary>
public sealed class FrameBoundaries(FrameCodec codec)
{
    /// <summary>The offset of the first frame boundary past <paramref name="offset"/> in <paramref name="frames"/> (whole frames, from a boundary).</summary>
    public long After(in ReadOnlySequence<byte> frames, long offset)
    {
        var reader = new SequenceReader<byte>(frames);
        long boundary = 0;
        while (boundary <= offset)
        {
            reader.Advance(boundary - reader.Consumed);
            boundary += codec.HeaderSize + ReadLength(ref reader);
        }

        return boundary;
    }

    /// <summary>How many frames <paramref name="frames"/> holds (whole frames, from a boundary).</summary>
    public long Count(in ReadOnlySequence<byte> frames)
    {
        var reader = new SequenceReader<byte>(frames);
        long count = 0;
        while (!reader.End)
        {
            reader.Advance(ReadLength(ref reader));
            count++;
        }

        return count;
    }

    /// <summary>Reads the length prefix at the reader's position, leaving the reader just past it.</summary>
    private int ReadLength(ref SequenceReader<byte> reader)
    {
        if (codec.Kind == FramingKind.U32LittleEndian)
        {
            reader.TryReadLittleEndian(out int length);
            return length;
        }

        reader.TryReadBigEndian(out short shortLength);
        return (ushort)shortLength;
    }
}
