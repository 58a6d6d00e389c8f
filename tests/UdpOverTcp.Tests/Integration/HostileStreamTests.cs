using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Cli;
using UdpOverTcp.Sessions;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

/// <summary>
/// What arrives on the TCP port is hostile: garbage, truncation, resets, silence, connection floods.
/// Each ends only its own link; the tunnel stays up; the next good link works; nothing partial
/// or corrupted ever reaches the UDP application.
/// </summary>
[InProcessTest]
public sealed class HostileStreamTests : IAsyncDisposable
{
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    private readonly UdpApp _app = new();
    private readonly Tunnel _listen;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public HostileStreamTests()
    {
        _listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = _app.EndPoint });
        _running = _listen.RunAsync(_stop.Token);
    }

    [Fact]
    public async Task Thousands_of_random_streams_with_random_segmentation()
    {
        var random = new Random(20261125);   // fixed: the same streams every run
        int streams = 2000, validFrames = 0;
        for (int s = 0; s < streams; s++)
        {
            using var socket = await ConnectAsync();
            var stream = BuildStream(random, ref validFrames);
            for (int offset = 0; offset < stream.Length;)
            {
                int chunk = Math.Min(stream.Length - offset, random.Next(1, 3000));
                try
                {
                    await socket.SendAsync(stream.AsMemory(offset, chunk));
                }
                catch (SocketException)
                {
                    break;   // the tunnel already closed this link: fine
                }

                offset += chunk;
            }

            if (random.Next(4) == 0)
            {
                socket.LingerState = new LingerOption(true, 0);   // end with a reset instead of a FIN
            }
        }

        // Every datagram that reached the app is one of the well-formed frames, whole; then a good link works.
        using var good = await ConnectAsync();
        await RawPeer.WriteFrameAsync(good, "alive"u8.ToArray());
        int delivered = 0;
        while (true)
        {
            var (data, _) = await _app.ReceiveAsync("the good link's datagram");
            if (data.AsSpan().SequenceEqual("alive"u8))
            {
                break;
            }

            Assert.True(SequencedPayload.Verify(data, data.Length) >= 0, $"a corrupted or partial datagram of {data.Length} bytes reached the app");
            delivered++;
        }

        Assert.True(delivered <= validFrames);
        Assert.True(Interlocked.Read(ref _listen.Stats.MalformedFrames) > 0);
        Assert.Equal(streams + 1, Interlocked.Read(ref _listen.Stats.LinksEstablished));
    }

    [Fact]
    public async Task Thousands_of_connect_close_cycles_then_a_good_link()
    {
        for (int i = 0; i < 3000; i++)
        {
            using var socket = await ConnectAsync();
        }

        await ProveAliveAsync();
    }

    [Fact]
    public async Task Truncated_frame_then_eof_forwards_nothing_partial()
    {
        using (var socket = await ConnectAsync())
        {
            var frame = new byte[4 + 100];
            BinaryPrimitives.WriteUInt32LittleEndian(frame, 1000);   // announces 1000, sends 100
            await socket.SendAsync(frame);
            socket.Shutdown(SocketShutdown.Send);
            Assert.True(await RawPeer.ReadsEndOfStreamAsync(socket));
        }

        await ProveAliveAsync();
        // A batch is counted once its send returns, which can be just after the app has the datagram.
        await Eventually.True(() => Interlocked.Read(ref _listen.Stats.UdpSent) >= 1, "the send counter to settle");
        Assert.Equal(1, Interlocked.Read(ref _listen.Stats.UdpSent));   // only the "alive" datagram
    }

    [Fact]
    public async Task A_silent_client_holds_the_link_but_not_the_process()
    {
        using var silent = await ConnectAsync();
        await _listen.WhenLinkUp().Within("accept");
        await ProveAliveAsync();   // replaces the silent one, as a newer connection does
        Assert.True(await RawPeer.ReadsEndOfStreamAsync(silent), "the replaced silent link stayed open");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _running.Within("the tunnel to stop");
        Assert.True(_running.IsCompletedSuccessfully);
        _listen.Dispose();
        _app.Dispose();
    }

    /// <summary>A fresh good link carries a datagram each way: the tunnel survived.</summary>
    private async Task ProveAliveAsync()
    {
        using var good = await ConnectAsync();
        await RawPeer.WriteFrameAsync(good, "alive"u8.ToArray());
        var (data, from) = await _app.ReceiveAsync("the good link's datagram");
        Assert.Equal("alive"u8.ToArray(), data);
        _app.SendTo(from, "still"u8);
        Assert.Equal("still"u8.ToArray(), await RawPeer.ReadFrameAsync(good));
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_listen.TcpListenEndPoint!).Within("connect");
        return socket;
    }

    /// <summary>Well-formed self-checking frames mixed with garbage, bit flips and a truncated tail.</summary>
    private static byte[] BuildStream(Random random, ref int validFrames)
    {
        var stream = new MemoryStream();
        int parts = random.Next(1, 6);
        for (int p = 0; p < parts; p++)
        {
            switch (random.Next(3))
            {
                case 0:
                    int size = random.Next(SequencedPayload.MinimumSize, 2000);
                    var frame = new byte[4 + size];
                    BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)size);
                    SequencedPayload.Fill(frame.AsSpan(4), random.Next(1_000_000));
                    stream.Write(frame);
                    validFrames++;
                    break;
                case 1:
                    var garbage = new byte[random.Next(1, 200)];
                    random.NextBytes(garbage);
                    stream.Write(garbage);
                    break;
                default:
                    var bad = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(bad, (uint)random.Next(65536, int.MaxValue));
                    stream.Write(bad);
                    break;
            }
        }

        var bytes = stream.ToArray();
        return random.Next(3) == 0 ? bytes[..random.Next(bytes.Length + 1)] : bytes;
    }
}
