using System.Buffers;
using BenchmarkDotNet.Attributes;
using UdpOverTcp.Framing;

namespace UdpOverTcp.MicroBenchmarks;

/// <summary>Encoding and decoding a batch of frames: must allocate nothing.</summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private const int FramesPerBatch = 64;
    private readonly FrameCodec _codec = new();
    private byte[] _payload = [];
    private byte[] _stream = [];
    private ArrayBufferWriter<byte> _writer = new();

    [Params(64, 1200)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        _writer = new ArrayBufferWriter<byte>(FramesPerBatch * (Size + 4));
        for (int i = 0; i < FramesPerBatch; i++)
        {
            _codec.WriteFrame(_writer, _payload);
        }

        _stream = _writer.WrittenSpan.ToArray();
    }

    [Benchmark(OperationsPerInvoke = FramesPerBatch)]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        for (int i = 0; i < FramesPerBatch; i++)
        {
            _codec.WriteFrame(_writer, _payload);
        }

        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = FramesPerBatch)]
    public long Decode()
    {
        var buffer = new ReadOnlySequence<byte>(_stream);
        long total = 0;
        while (_codec.TryReadFrame(ref buffer, out var payload))
        {
            total += payload.Length;
        }

        return total;
    }
}
