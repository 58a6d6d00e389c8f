using System.IO.Pipelines;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.MicroBenchmarks;

/// <summary>
/// The UDP → TCP half of the batched pump without the sockets: a batch of 64 received datagrams is
/// framed into a PipeWriter configured as a link's output pipe (pinned block pool, inline schedulers),
/// flushed once per batch as BatchedUdpPump does, and then taken by the reader as the link's send loop
/// would (the send itself is not measured). Per datagram; MemoryDiagnoser must show 0 B.
/// </summary>
[MemoryDiagnoser]
public class PumpBatchFramingBenchmarks
{
    private const int Batch = 64;
    private byte[] _slots = [];
    private FrameCodec _codec = new();
    private Pipe _pipe = new();

    [Params(64, 1200)]
    public int Size { get; set; }

    [Params(FramingKind.U32LittleEndian, FramingKind.U16BigEndian)]
    public FramingKind Framing { get; set; }

    private TcpLink _link = null!;
    private UdpToTcp _linkWriter = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The pump's own bookkeeping on a link that is never started (no socket traffic): what
        // BatchedUdpPump does per batch, from the datagrams to the flush.
        _link = DataPathFactory.For(UdpDataPath.Portable).CreateLink(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), new FrameCodec(Framing), noDelay: true, QueuePolicy.BytesOnly, new TunnelStats());
        _linkWriter = new UdpToTcp(new FrameCodec(Framing), new TunnelStats());
        _codec = new FrameCodec(Framing);
        // The receive slots, as recvmmsg leaves them: a batch of datagrams side by side.
        _slots = new byte[Batch * Size];
        Random.Shared.NextBytes(_slots);
        _pipe = new Pipe(TcpLink.OutputOptions);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long FrameBatchAndFlush()
    {
        var writer = _pipe.Writer;
        for (int i = 0; i < Batch; i++)
        {
            _codec.WriteFrame(writer, _slots.AsSpan(i * Size, Size));
        }

        // One flush per batch: the link's send loop then sends the whole batch at once.
        var flush = writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("the pipe paused: the reader below must keep it empty");
        }

        return TakeAll(_pipe.Reader);
    }

    /// <summary>The same batch through the pump's UdpToTcp (the frames are advanced into the pipe once per batch).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long LinkWriterBatchAndFlush()
    {
        for (int i = 0; i < Batch; i++)
        {
            _linkWriter.Append(_link, Memory<byte>.Empty, _slots.AsSpan(i * Size, Size));
        }

        _linkWriter.Flush();
        return TakeAll(_link.OutputReader);
    }

    /// <summary>The send loop's side: takes everything written.</summary>
    private static long TakeAll(PipeReader reader)
    {
        if (!reader.TryRead(out var result))
        {
            throw new InvalidOperationException("nothing to read after a flush");
        }

        long length = result.Buffer.Length;
        reader.AdvanceTo(result.Buffer.End);
        return length;
    }
}
