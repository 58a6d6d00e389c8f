using System.Buffers;

namespace UdpOverTcp.Tests.Support;

/// <summary>Multi-segment sequences over test bytes, as a pipe hands out its blocks.</summary>
internal static class Segments
{
    /// <summary>A sequence over <paramref name="data"/> cut into segments of the given lengths (zero-length segments included).</summary>
    public static ReadOnlySequence<byte> Cut(byte[] data, params int[] lengths)
    {
        Segment? first = null, last = null;
        int offset = 0;
        foreach (int length in lengths)
        {
            var segment = new Segment(data.AsMemory(offset, length), last);
            first ??= segment;
            last = segment;
            offset += length;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary>A sequence over <paramref name="data"/> in segments of <paramref name="size"/> bytes (the last one shorter).</summary>
    public static ReadOnlySequence<byte> Every(byte[] data, int size)
    {
        var lengths = new List<int>();
        for (int offset = 0; offset < data.Length; offset += size)
        {
            lengths.Add(Math.Min(size, data.Length - offset));
        }

        return Cut(data, [.. lengths]);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
