using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Cli;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

[InProcessTest]
public class TunnelPairTests
{
    public static TheoryData<UdpDataPath> Paths => new() { UdpDataPath.Portable, UdpDataPath.Batched };

    [Theory]
    [InlineData(FramingKind.U32LittleEndian, UdpDataPath.Portable)]
    [InlineData(FramingKind.U32LittleEndian, UdpDataPath.Batched)]
    [InlineData(FramingKind.U16BigEndian, UdpDataPath.Portable)]
    [InlineData(FramingKind.U16BigEndian, UdpDataPath.Batched)]
    public async Task Thousands_of_mixed_size_datagrams_cross_both_ways_at_once_intact_in_order_and_bonded(FramingKind framing, UdpDataPath path)
    {
        await using var pair = await TunnelPair.StartAsync(framing, path);
        var xToY = VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, VerifiedExchange.MixedSizes(3000, 1));
        var yToX = VerifiedExchange.RunAsync(pair.AppY, pair.ListenEntry, pair.AppX, pair.ConnectEntry, VerifiedExchange.MixedSizes(3000, 2));
        await Task.WhenAll(xToY, yToX);

        // A batch is counted once its send returns, which can be just after the app has the datagrams.
        await Eventually.True(() => Interlocked.Read(ref pair.Listen.Stats.UdpSent) == 3000 && Interlocked.Read(ref pair.Connect.Stats.UdpSent) == 3000, "the send counters to settle");
        Assert.Equal(3000, pair.Connect.Stats.UdpReceived);
        Assert.Equal(3000, pair.Listen.Stats.UdpReceived);
        Assert.Equal(0, pair.Connect.Stats.MalformedFrames + pair.Listen.Stats.MalformedFrames);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task With_priority_size_0_datagrams_of_every_size_keep_the_order_they_were_sent_in(UdpDataPath path)
    {
        await using var pair = await TunnelPair.StartAsync(path: path, configure: o => o with { PrioritySize = 0 });
        var sizes = VerifiedExchange.MixedSizes(3000, 3);
        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, sizes, window: 16, prioritySize: 0);
    }

    [SkippableFact]
    public async Task Runs_of_equal_sizes_leave_as_gso_segments_and_arrive_as_the_same_datagrams()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "UDP GSO is Linux's");
        await using var pair = await TunnelPair.StartAsync(path: UdpDataPath.Batched);
        Assert.Contains("GSO", pair.Listen.PumpKind);

        // Long runs of one size (with 32 in flight, a TCP read holds many), the edges of a run: a
        // size whose second segment would pass the 65,507-byte run limit, and the size changing.
        // 32 x 40 KB in flight still fits the receiving app's socket buffer.
        int[] sizes = [.. Enumerable.Repeat(1200, 1500), .. Enumerable.Repeat(8, 1500), .. Enumerable.Repeat(32_000, 200),
            .. Enumerable.Repeat(40_000, 50), .. Enumerable.Range(0, 1000).Select(i => i % 3 == 0 ? 100 : 99)];
        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, sizes, window: 32);
        await Eventually.True(() => Interlocked.Read(ref pair.Listen.Stats.UdpSent) == sizes.Length, "the send counter to settle");
        Assert.Equal(0, pair.Listen.Stats.UdpSendErrors);
    }

    [SkippableFact]
    public async Task A_run_the_app_sends_as_one_gso_buffer_crosses_as_its_separate_datagrams()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "UDP GSO/GRO are Linux's");
        await using var pair = await TunnelPair.StartAsync(path: UdpDataPath.Batched);
        Assert.Contains("GRO", pair.Connect.PumpKind);
        const int Segment = 1000, PerRun = 40, Runs = 100;
        pair.AppX.Socket.SetRawSocketOption(17, 103, BitConverter.GetBytes(Segment));   // SOL_UDP, UDP_SEGMENT
        var run = new byte[(PerRun * Segment) - 500];   // the last datagram of each run is shorter
        long sequence = 0;
        for (int r = 0; r < Runs; r++)
        {
            for (int offset = 0, k = 0; offset < run.Length; offset += Segment, k++)
            {
                SequencedPayload.Fill(run.AsSpan(offset, Math.Min(Segment, run.Length - offset)), sequence + k);
            }

            pair.AppX.SendTo(pair.ConnectEntry, run);   // one sendto: PerRun datagrams
            for (int k = 0; k < PerRun; k++, sequence++)
            {
                var (data, from) = await pair.AppY.ReceiveAsync($"datagram {k} of run {r}");
                int expected = k < PerRun - 1 ? Segment : Segment - 500;
                Assert.Equal(sequence, SequencedPayload.Verify(data, expected));
                Assert.Equal(pair.ListenEntry, from);
            }
        }

        Assert.Equal(Runs * PerRun, Interlocked.Read(ref pair.Connect.Stats.UdpReceived));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Reply_comes_from_the_port_the_app_sent_to(UdpDataPath path)
    {
        await using var pair = await TunnelPair.StartAsync(path: path);
        pair.AppX.SendTo(pair.ConnectEntry, "ping"u8);
        var (ping, pingFrom) = await pair.AppY.ReceiveAsync("the ping");
        Assert.Equal("ping"u8.ToArray(), ping);
        Assert.Equal(pair.ListenEntry, pingFrom);

        pair.AppY.SendTo(pingFrom, "pong"u8);
        var (pong, pongFrom) = await pair.AppX.ReceiveAsync("the pong");
        Assert.Equal("pong"u8.ToArray(), pong);
        Assert.Equal(pair.ConnectEntry, pongFrom);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Without_a_link_datagrams_are_dropped_and_counted_not_buffered(UdpDataPath path)
    {
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        using var appY = new UdpApp();
        using var appX = new UdpApp();
        using var listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = loopback0, UdpBind = loopback0, UdpSendTo = appY.EndPoint, DataPath = path });
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);

        for (int i = 0; i < 10; i++)
        {
            appY.SendTo(listen.UdpEndPoint, "early"u8);
        }

        await Eventually.True(() => Interlocked.Read(ref listen.Stats.DroppedNoLink) == 10, "the pump to drop the 10 early datagrams");

        // A raw peer stands in for the other end so the test sees exactly what crosses the wire.
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listen.TcpListenEndPoint!);
        await listen.WhenLinkUp().Within("the listen side to accept");
        appY.SendTo(listen.UdpEndPoint, "marker"u8);

        var frame = await RawPeer.ReadFrameAsync(peer);
        Assert.Equal("marker"u8.ToArray(), frame);
        Assert.Equal(10, Interlocked.Read(ref listen.Stats.DroppedNoLink));

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }

    [Fact]
    public async Task Over_length_frame_closes_only_that_link_and_the_next_link_works()
    {
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        using var app = new UdpApp();
        using var listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = loopback0, UdpBind = loopback0, UdpSendTo = app.EndPoint });
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);

        using (var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await attacker.ConnectAsync(listen.TcpListenEndPoint!);
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 70000);
            await attacker.SendAsync(header);
            Assert.True(await RawPeer.ReadsEndOfStreamAsync(attacker), "the attacker's link stayed open");
        }

        Assert.Equal(1, Interlocked.Read(ref listen.Stats.MalformedFrames));
        Assert.Equal(0, Interlocked.Read(ref listen.Stats.UdpSent));

        using var good = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await good.ConnectAsync(listen.TcpListenEndPoint!);
        await RawPeer.WriteFrameAsync(good, "after the attack"u8.ToArray());
        var (data, from) = await app.ReceiveAsync("the good peer's datagram");
        Assert.Equal("after the attack"u8.ToArray(), data);

        app.SendTo(from, "reply"u8);
        Assert.Equal("reply"u8.ToArray(), await RawPeer.ReadFrameAsync(good));

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }

    [Fact]
    public async Task Connect_side_keeps_retrying_until_the_listener_appears()
    {
        // Reserve a port, then free it so the first connects are refused.
        var port = FreePort.Tcp();
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        using var connect = new Tunnel(new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = new IPEndPoint(IPAddress.Loopback, port), UdpBind = loopback0, UdpSendTo = appX.EndPoint });
        using var stop = new CancellationTokenSource();
        var connectRun = connect.RunAsync(stop.Token);
        var firstLink = connect.WhenLinkUp();

        using var listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = new IPEndPoint(IPAddress.Loopback, port), UdpBind = loopback0, UdpSendTo = appY.EndPoint });
        var listenRun = listen.RunAsync(stop.Token);
        await Task.WhenAll(firstLink, listen.WhenLinkUp()).Within("the connect side to reach the late listener");

        appX.SendTo(connect.UdpEndPoint, "late but there"u8);
        var (data, _) = await appY.ReceiveAsync();
        Assert.Equal("late but there"u8.ToArray(), data);

        stop.Cancel();
        await Task.WhenAll(connectRun, listenRun).Within("both ends to stop");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Unreachable_udp_destination_does_not_stop_the_pump(UdpDataPath path)
    {
        // Send to a port nobody listens on: ICMP port unreachable comes back to the bound socket.
        var deadPort = FreePort.Udp();
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        using var listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = loopback0, UdpBind = loopback0, UdpSendTo = new IPEndPoint(IPAddress.Loopback, deadPort), DataPath = path });
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listen.TcpListenEndPoint!);
        await listen.WhenLinkUp().Within("accept");
        for (int i = 0; i < 20; i++)
        {
            await RawPeer.WriteFrameAsync(peer, "into the void"u8.ToArray());
        }

        // The reverse direction still works after the failed deliveries.
        using var app = new UdpApp();
        app.SendTo(listen.UdpEndPoint, "still alive"u8);
        Assert.Equal("still alive"u8.ToArray(), await RawPeer.ReadFrameAsync(peer));

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }
}
