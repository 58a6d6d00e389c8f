using System.Buffers;
using UdpOverTcp.Framing;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Framing;

/// <summary>Frame boundaries in queued frames, for sends that stop or switch lanes only between frames.</summary>
[UnitTest]
public sealed class FrameBoundariesTests
{
    [Theory]
    [InlineData(FramingKind.U32LittleEndian)]
    [InlineData(FramingKind.U16BigEndian)]
    public void The_boundary_past_an_offset_is_found_across_segments(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        var writer = new ArrayBufferWriter<byte>();
        codec.WriteFrame(writer, []);
        int second = writer.WrittenCount;
        codec.WriteFrame(writer, new byte[300]);
        int third = writer.WrittenCount;
        codec.WriteFrame(writer, new byte[5]);
        var frames = Segments.Every(writer.WrittenSpan.ToArray(), 3);   // headers split between segments too
        var boundaries = new FrameBoundaries(codec);

        Assert.Equal(0, boundaries.After(frames, -1));
        Assert.Equal(second, boundaries.After(frames, 0));
        Assert.Equal(third, boundaries.After(frames, second));
        Assert.Equal(third, boundaries.After(frames, third - 1));
        Assert.Equal(writer.WrittenCount, boundaries.After(frames, third));
        Assert.Equal(3, boundaries.Count(frames));
    }
}
