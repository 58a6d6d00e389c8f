using System.Buffers;
using System.Buffers.Binary;
using CommunityToolkit.HighPerformance.Buffers;
using UdpOverTcp.Framing;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Framing;

[UnitTest]
public class FrameCodecTests
{
    public static TheoryData<FramingKind> Kinds => new() { FramingKind.U32LittleEndian, FramingKind.U16BigEndian };

    [Fact]
    public void U32le_wire_bytes_match_the_original_rust_tool()
    {
        var writer = new ArrayBufferWriter<byte>();
        new FrameCodec(FramingKind.U32LittleEndian).WriteFrame(writer, [0xAA, 0xBB, 0xCC]);
        Assert.Equal(new byte[] { 3, 0, 0, 0, 0xAA, 0xBB, 0xCC }, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void U16be_wire_bytes_match_rfc4571()
    {
        var writer = new ArrayBufferWriter<byte>();
        var payload = new byte[258];
        new FrameCodec(FramingKind.U16BigEndian).WriteFrame(writer, payload);
        Assert.Equal(new byte[] { 1, 2 }, writer.WrittenSpan[..2].ToArray());
        Assert.Equal(260, writer.WrittenCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_split_point_of_a_multi_frame_stream_decodes_the_same_frames(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        byte[][] payloads = [[], [1], [2, 3, 4], Pattern(300, 9), [], Pattern(5, 1)];
        byte[] stream = Encode(codec, payloads);

        for (int split = 0; split <= stream.Length; split++)
        {
            var sequence = Segments.Cut(stream, split, stream.Length - split);
            Assert.Equal(payloads, DecodeAll(codec, ref sequence));
            Assert.Equal(0, sequence.Length);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void One_byte_segments_decode_the_same_frames(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        byte[][] payloads = [Pattern(17, 3), [], Pattern(2, 200)];
        byte[] stream = Encode(codec, payloads);
        var sequence = Segments.Cut(stream, Enumerable.Repeat(1, stream.Length).ToArray());
        Assert.Equal(payloads, DecodeAll(codec, ref sequence));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Many_frames_in_one_segment_all_decode_in_order(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        var payloads = Enumerable.Range(0, 1000).Select(i => Pattern(i % 97, (byte)i)).ToArray();
        var sequence = new ReadOnlySequence<byte>(Encode(codec, payloads));
        Assert.Equal(payloads, DecodeAll(codec, ref sequence));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Incomplete_frame_leaves_the_buffer_untouched(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        byte[] stream = Encode(codec, [Pattern(10, 4)]);
        for (int length = 0; length < stream.Length; length++)
        {
            var sequence = new ReadOnlySequence<byte>(stream, 0, length);
            Assert.False(codec.TryReadFrame(ref sequence, out _));
            Assert.Equal(length, sequence.Length);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Maximum_length_frame_round_trips(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        byte[] payload = Pattern(FrameCodec.DefaultMaxFrame, 77);
        var sequence = Segments.Cut(Encode(codec, [payload]), 1000, codec.HeaderSize + payload.Length - 1000);
        Assert.True(codec.TryReadFrame(ref sequence, out var decoded));
        Assert.Equal(payload, decoded.ToArray());
    }

    [Fact]
    public void U32le_length_above_the_maximum_is_a_protocol_error_before_the_payload_arrives()
    {
        var codec = new FrameCodec(FramingKind.U32LittleEndian);
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, FrameCodec.DefaultMaxFrame + 1);
        var sequence = new ReadOnlySequence<byte>(header);
        var error = Assert.Throws<FrameTooLargeException>(() => codec.TryReadFrame(ref sequence, out _));
        Assert.Equal(FrameCodec.DefaultMaxFrame + 1, error.Length);
    }

    [Fact]
    public void U32le_huge_length_is_a_protocol_error_not_an_overflow()
    {
        var codec = new FrameCodec(FramingKind.U32LittleEndian);
        var sequence = new ReadOnlySequence<byte>(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
        var error = Assert.Throws<FrameTooLargeException>(() => codec.TryReadFrame(ref sequence, out _));
        Assert.Equal(uint.MaxValue, error.Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Configured_max_frame_is_enforced_on_read_and_write(FramingKind kind)
    {
        var codec = new FrameCodec(kind, maxFrame: 1500);
        var sequence = new ReadOnlySequence<byte>(Encode(new FrameCodec(kind), [new byte[1501]]));
        Assert.Throws<FrameTooLargeException>(() => codec.TryReadFrame(ref sequence, out _));
        Assert.Throws<FrameTooLargeException>(() => codec.WriteFrame(new ArrayBufferWriter<byte>(), new byte[1501]));

        var exact = new ReadOnlySequence<byte>(Encode(codec, [new byte[1500]]));
        Assert.True(codec.TryReadFrame(ref exact, out var payload));
        Assert.Equal(1500, payload.Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Random_streams_with_random_segmentation_round_trip(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        var random = new Random(4571);
        for (int round = 0; round < 200; round++)
        {
            var payloads = new byte[random.Next(1, 20)][];
            for (int i = 0; i < payloads.Length; i++)
            {
                // Mostly small, sometimes at the limit.
                int size = random.Next(10) == 0 ? random.Next(FrameCodec.DefaultMaxFrame + 1) : random.Next(1500);
                payloads[i] = new byte[size];
                random.NextBytes(payloads[i]);
            }

            byte[] stream = Encode(codec, payloads);
            var cuts = new List<int>();
            for (int left = stream.Length; left > 0;)
            {
                int cut = Math.Min(left, random.Next(1, 4000));
                cuts.Add(cut);
                left -= cut;
            }

            var sequence = Segments.Cut(stream, [.. cuts]);
            Assert.Equal(payloads, DecodeAll(codec, ref sequence));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Write_header_then_payload_equals_write_frame(FramingKind kind)
    {
        var codec = new FrameCodec(kind);
        byte[] payload = Pattern(1234, 5);
        var expected = Encode(codec, [payload]);
        var manual = new byte[codec.HeaderSize + payload.Length];
        codec.WriteHeader(manual, payload.Length);
        payload.CopyTo(manual, codec.HeaderSize);
        Assert.Equal(expected, manual);
    }

    [Fact]
    public void Max_frame_out_of_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameCodec(FramingKind.U32LittleEndian, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameCodec(FramingKind.U32LittleEndian, FrameCodec.DefaultMaxFrame + 1));
    }

    private static byte[] Pattern(int length, byte seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + (i * 13));
        }

        return bytes;
    }

    private static byte[] Encode(FrameCodec codec, byte[][] payloads)
    {
        using var writer = new ArrayPoolBufferWriter<byte>();
        foreach (var payload in payloads)
        {
            codec.WriteFrame(writer, payload);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static List<byte[]> DecodeAll(FrameCodec codec, ref ReadOnlySequence<byte> sequence)
    {
        var frames = new List<byte[]>();
        while (codec.TryReadFrame(ref sequence, out var payload))
        {
            frames.Add(payload.ToArray());
        }

        return frames;
    }
}
