using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath;

/// <summary>
/// The UDP → TCP direction's framing and bookkeeping, on links over real loopback sockets whose loops
/// are never started: the test reads the output pipe itself, as the link's send loop would.
/// </summary>
[InProcessTest]
public sealed class UdpToTcpTests : IDisposable
{
    private readonly FrameCodec _codec = new();
    private readonly TunnelStats _stats = new();
    private readonly UdpToTcp _toTcp;
    private readonly List<Socket> _sockets = [];

    public UdpToTcpTests()
    {
        _toTcp = new UdpToTcp(_codec, _stats);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public void Without_a_link_a_datagram_is_dropped_and_counted()
    {
        Assert.Equal(UdpToTcp.Outcome.NoLink, _toTcp.Append(null, Memory<byte>.Empty, [1, 2, 3]));
        Assert.Equal(1, _stats.DroppedNoLink);
    }

    [Fact]
    public void Frames_reach_the_send_loop_only_at_the_flush_and_then_all_at_once()
    {
        var link = NewLink();
        _toTcp.Append(link, Memory<byte>.Empty, [1, 2, 3]);
        _toTcp.Append(link, Memory<byte>.Empty, []);
        _toTcp.Append(link, Memory<byte>.Empty, [4]);
        Assert.False(link.OutputReader.TryRead(out _));

        _toTcp.Flush();
        Assert.Equal([[1, 2, 3], [], [4]], ReadFrames(link));
    }

    [Fact]
    public void A_datagram_received_in_place_gets_only_its_header_written()
    {
        var link = NewLink();
        _toTcp.Append(link, Memory<byte>.Empty, [9]);   // the writer now writes to this link
        var memory = _toTcp.TryGetMemory(link, _codec.HeaderSize + 100);
        Assert.False(memory.IsEmpty);
        byte[] datagram = [5, 6, 7, 8];
        datagram.CopyTo(memory[_codec.HeaderSize..]);

        _toTcp.Append(link, memory, datagram);
        _toTcp.Flush();
        Assert.Equal([[9], datagram], ReadFrames(link));
    }

    [Fact]
    public void A_new_link_takes_the_next_datagram_and_the_old_one_is_completed()
    {
        var old = NewLink();
        _toTcp.Append(old, Memory<byte>.Empty, [1]);
        _toTcp.Flush();
        var replacement = NewLink();

        _toTcp.Append(replacement, Memory<byte>.Empty, [2]);
        _toTcp.Flush();
        Assert.Equal([[1]], ReadFrames(old));
        Assert.True(old.OutputReader.TryRead(out var end) && end.IsCompleted);
        Assert.Equal([[2]], ReadFrames(replacement));
    }

    [Fact]
    public void A_closed_link_takes_nothing()
    {
        var link = NewLink();
        link.Abort(LinkEnd.Closed);
        Assert.Equal(UdpToTcp.Outcome.NoLink, _toTcp.Append(link, Memory<byte>.Empty, [1]));
        Assert.Equal(1, _stats.DroppedNoLink);
    }

    [Fact]
    public void While_the_send_side_is_behind_datagrams_are_dropped_not_queued()
    {
        var link = NewLink();
        var big = new byte[60_000];
        // Past the output pipe's pause threshold with nobody reading: the flush stays pending.
        for (long written = 0; written <= TcpLink.OutputOptions.PauseWriterThreshold; written += big.Length)
        {
            Assert.Equal(UdpToTcp.Outcome.Written, _toTcp.Append(link, Memory<byte>.Empty, big));
        }

        _toTcp.Flush();
        Assert.Equal(UdpToTcp.Outcome.Behind, _toTcp.Append(link, Memory<byte>.Empty, [1]));
        Assert.Equal(1, _stats.DroppedBackpressure);
        Assert.True(_toTcp.TryGetMemory(link, 100).IsEmpty);   // nor received in place

        // Once the send loop catches up, datagrams go on.
        Assert.True(link.OutputReader.TryRead(out var pending));
        link.OutputReader.AdvanceTo(pending.Buffer.End);
        Assert.Equal(UdpToTcp.Outcome.Written, _toTcp.Append(link, Memory<byte>.Empty, [1]));
    }

    [Fact]
    public void Admission_drops_strangers_and_what_cannot_be_framed()
    {
        var small = new UdpToTcp(new FrameCodec(FramingKind.U16BigEndian, maxFrame: 1000), _stats);
        Assert.True(small.Admit(1000, fromPeer: true));
        Assert.False(small.Admit(1001, fromPeer: true));
        Assert.False(small.Admit(10, fromPeer: false));
        Assert.Equal(1, _stats.DroppedTooLarge);
        Assert.Equal(1, _stats.DroppedNotPeer);

        small.CountReceived(3, 2011);
        Assert.Equal(3, _stats.UdpReceived);
        Assert.Equal(2011, _stats.UdpReceivedBytes);
    }

    [Fact]
    public async Task Small_datagrams_go_in_the_priority_lane_and_a_flush_of_that_lane_alone_wakes_the_send_loop()
    {
        var link = NewLink(new QueuePolicy(TimeSpan.Zero, PrioritySize: 100, PriorityShare: 0.5));
        var read = link.OutputReader.ReadAsync();   // the send loop, waiting on the bulk lane
        _toTcp.Append(link, Memory<byte>.Empty, new byte[100]);
        _toTcp.Flush();

        var woken = await read.AsTask().Within("the send loop to wake");
        Assert.True(woken.IsCanceled && woken.Buffer.IsEmpty && !link.IsClosed);
        link.OutputReader.AdvanceTo(woken.Buffer.End);
        Assert.True(link.Priority!.Reader.TryRead(out var small));
        Assert.Equal(4 + 100, small.Buffer.Length);
        link.Priority.Reader.AdvanceTo(small.Buffer.End);

        // One byte more goes in the bulk lane, and its flush is what wakes the loop.
        _toTcp.Append(link, Memory<byte>.Empty, new byte[101]);
        _toTcp.Append(link, Memory<byte>.Empty, new byte[1]);
        _toTcp.Flush();
        Assert.Equal([new byte[101]], ReadFrames(link));
        Assert.True(link.Priority.Reader.TryRead(out small));
        Assert.Equal(4 + 1, small.Buffer.Length);
    }

    private TcpLink NewLink(QueuePolicy? queues = null)
    {
        var (client, server) = LoopbackTcp.Connect();
        _sockets.Add(client);
        _sockets.Add(server);
        return DataPathFactory.For(UdpDataPath.Portable).CreateLink(server, _codec, noDelay: true, queues ?? QueuePolicy.BytesOnly, new TunnelStats());
    }

    /// <summary>Every frame flushed so far, decoded from the bytes the send loop would send.</summary>
    private List<byte[]> ReadFrames(TcpLink link)
    {
        var frames = new List<byte[]>();
        Assert.True(link.OutputReader.TryRead(out var result));
        var buffer = result.Buffer;
        Span<byte> header = stackalloc byte[4];
        while (buffer.Length >= 4)
        {
            buffer.Slice(0, 4).CopyTo(header);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
            frames.Add(buffer.Slice(4, length).ToArray());
            buffer = buffer.Slice(4 + length);
        }

        Assert.True(buffer.IsEmpty);
        link.OutputReader.AdvanceTo(result.Buffer.End);
        return frames;
    }
}
