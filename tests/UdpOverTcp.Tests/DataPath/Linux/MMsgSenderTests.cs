using System.Buffers;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Linux;

/// <summary>
/// The batched senders over real loopback sockets, what arrives and what is counted: the single link's
/// (a batch of its own) and a --multi-client client's (a batch borrowed from a shared pool per read).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[InProcessTest]
[NeedsLinux]
public sealed class MMsgSenderTests : IDisposable
{
    private readonly Socket _receiver = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly TunnelStats _stats = new();
    private readonly BatchedUdpPump _pump;
    private readonly GsoRunBuilderPool _pool;
    private readonly ClientUdpPump _client;

    public MMsgSenderTests()
    {
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.ReceiveTimeout = 10_000;
        _receiver.ReceiveBufferSize = 1 << 20;
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _pump = new BatchedUdpPump(_udp, (IPEndPoint)_receiver.LocalEndPoint!, peerOnly: false, new FrameCodec(), _stats);
        _pool = new GsoRunBuilderPool((IPEndPoint)_receiver.LocalEndPoint!);
        _client = new ClientUdpPump(_udp, (IPEndPoint)_receiver.LocalEndPoint!, new FrameCodec(), _stats, _pool);
    }

    public void Dispose()
    {
        _pool.Dispose();
        _udp.Dispose();
        _receiver.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_refused_message_costs_only_itself_in_the_counts(bool client)
    {
        // 65,535 bytes cannot be one IPv4 datagram (65,507 at most): the kernel refuses that message alone.
        using (var sender = Sender(client))
        {
            await sender.SendAsync(new ReadOnlySequence<byte>(Filled(100, 1)));
            await sender.SendAsync(new ReadOnlySequence<byte>(Filled(65535, 2)));
            await sender.SendAsync(new ReadOnlySequence<byte>(Filled(101, 3)));
            sender.SendPending();
        }

        Assert.Equal(Filled(100, 1), Receive());
        Assert.Equal(Filled(101, 3), Receive());
        Assert.Equal(2, _stats.UdpSent);
        Assert.Equal(201, _stats.UdpSentBytes);
        Assert.Equal(1, _stats.UdpSendErrors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Payloads_flattened_around_a_full_batch_arrive_intact(bool client)
    {
        // A full batch, then two payloads in more pipe segments than a message takes, each flattened
        // into the sender's one spare buffer: the second must not overwrite the first before it is sent.
        var expected = new List<byte[]>();
        using (var sender = Sender(client))
        {
            for (int i = 0; i < BatchedUdpPump.BatchSize; i++)
            {
                expected.Add(Filled(i + 1, (byte)i));
                await sender.SendAsync(new ReadOnlySequence<byte>(expected[^1]));
            }

            foreach (var (length, seed) in new[] { (1000, 100), (1001, 200) })
            {
                expected.Add(Filled(length, (byte)seed));
                await sender.SendAsync(Segments.Every(expected[^1], 100));
            }

            sender.SendPending();
        }

        foreach (var datagram in expected)
        {
            Assert.Equal(datagram, Receive());
        }

        Assert.Equal(expected.Count, _stats.UdpSent);
        Assert.Equal(0, _stats.UdpSendErrors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Equal_datagrams_sent_as_one_GSO_run_arrive_as_datagrams(bool client)
    {
        using (var sender = Sender(client))
        {
            for (int i = 0; i < 10; i++)
            {
                await sender.SendAsync(new ReadOnlySequence<byte>(Filled(1200, (byte)i)));
            }

            sender.SendPending();
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(Filled(1200, (byte)i), Receive());
        }

        Assert.Equal(10, _stats.UdpSent);
        Assert.Equal(12000, _stats.UdpSentBytes);
    }

    [Fact]
    public async Task Clients_borrow_a_batch_for_each_read_and_give_it_back()
    {
        using var first = _client.CreateSender();
        using var second = _client.CreateSender();

        // Reads one after the other (as on one thread): one batch serves both clients.
        for (int read = 0; read < 3; read++)
        {
            foreach (var sender in new[] { first, second })
            {
                await sender.SendAsync(new ReadOnlySequence<byte>(Filled(64, (byte)read)));
                await sender.SendAsync(new ReadOnlySequence<byte>(Filled(64, (byte)(read + 1))));
                sender.SendPending();
            }
        }

        Assert.Equal(1, _pool.Made);

        // Two reads at once (two threads): each has a batch of its own until it is sent.
        await first.SendAsync(new ReadOnlySequence<byte>(Filled(10, 1)));
        await second.SendAsync(new ReadOnlySequence<byte>(Filled(11, 2)));
        first.SendPending();
        second.SendPending();
        Assert.Equal(2, _pool.Made);

        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(64, Receive().Length);
        }

        Assert.Equal(Filled(10, 1), Receive());
        Assert.Equal(Filled(11, 2), Receive());
        Assert.Equal(14, _stats.UdpSent);
    }

    private DatagramSender Sender(bool client) => client ? _client.CreateSender() : _pump.CreateSender();

    private byte[] Receive()
    {
        var buffer = new byte[65536];
        int length = _receiver.Receive(buffer);
        return buffer[..length];
    }

    private static byte[] Filled(int length, byte seed)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(seed + i);
        }

        return data;
    }
}
