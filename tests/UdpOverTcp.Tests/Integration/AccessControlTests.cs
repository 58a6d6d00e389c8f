using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

/// <summary>Who may use a tunnel: authenticated peers, allowed addresses, the bonded UDP peer.</summary>
[InProcessTest]
public class AccessControlTests
{
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    private static readonly byte[] Secret = "shared secret"u8.ToArray();

    public static TheoryData<UdpDataPath> Paths => new() { UdpDataPath.Portable, UdpDataPath.Batched };

    [Fact]
    public async Task Authenticated_pair_carries_datagrams()
    {
        await using var pair = await TunnelPair.StartAsync(configure: o => o with { Secret = Secret });
        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, VerifiedExchange.MixedSizes(200, 5));
        Assert.Equal(0, Interlocked.Read(ref pair.Listen.Stats.AuthFailures));
    }

    [Fact]
    public async Task Unauthenticated_client_neither_replaces_the_link_nor_receives_nor_injects()
    {
        await using var pair = await TunnelPair.StartAsync(configure: o => o with { Secret = Secret });

        // A client without the secret that speaks the plain wire format.
        using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await intruder.ConnectAsync(pair.Listen.TcpListenEndPoint!);
        await RawPeer.WriteFrameAsync(intruder, "injected"u8.ToArray());
        pair.AppY.SendTo(pair.ListenEntry, "not for the intruder"u8);

        // It gets nothing at all: the listen side speaks only after a connect side's hello, and the
        // frame's first byte already is not one. Then it is disconnected.
        var received = await RawPeer.ReadUntilClosedAsync(intruder);
        Assert.Empty(received);
        await Eventually.True(() => Interlocked.Read(ref pair.Listen.Stats.AuthFailures) == 1, "the failure to be counted");

        // The real link is untouched: the datagram the intruder should not have seen went over it,
        // both ways work, and nothing the intruder sent arrived.
        var (mine, _) = await pair.AppX.ReceiveAsync("the datagram sent while the intruder was connected");
        Assert.Equal("not for the intruder"u8.ToArray(), mine);
        pair.AppX.SendTo(pair.ConnectEntry, "first"u8);
        var (first, _) = await pair.AppY.ReceiveAsync("the legitimate datagram");
        Assert.Equal("first"u8.ToArray(), first);
        await VerifiedExchange.RunAsync(pair.AppY, pair.ListenEntry, pair.AppX, pair.ConnectEntry, VerifiedExchange.MixedSizes(50, 6));
        Assert.Equal(1, Interlocked.Read(ref pair.Listen.Stats.LinksEstablished));
    }

    [Fact]
    public async Task Wrong_secret_on_the_connect_side_never_links()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        using var listen = new Tunnel(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = appY.EndPoint, Secret = Secret });
        using var connect = new Tunnel(new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = listen.TcpListenEndPoint, UdpBind = Loopback0, UdpSendTo = appX.EndPoint, Secret = "other"u8.ToArray() });
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(listen.RunAsync(stop.Token), connect.RunAsync(stop.Token));

        await Eventually.True(() => Interlocked.Read(ref connect.Stats.AuthFailures) >= 2 && Interlocked.Read(ref listen.Stats.AuthFailures) >= 2, "both sides to reject twice");
        Assert.Equal(0, Interlocked.Read(ref listen.Stats.LinksEstablished));
        Assert.Equal(0, Interlocked.Read(ref connect.Stats.LinksEstablished));
        appX.SendTo(connect.UdpEndPoint, "nowhere"u8);
        await Eventually.True(() => Interlocked.Read(ref connect.Stats.DroppedNoLink) == 1, "the datagram to be dropped for want of a link");

        stop.Cancel();
        await running.Within("both ends to stop");
    }

    [Fact]
    public async Task Tcp_allow_refuses_peers_outside_the_ranges()
    {
        using var app = new UdpApp();
        using var listen = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = app.EndPoint,
            TcpAllow = AddressFilter.Parse("--tcp-allow", "127.0.0.2/32"),
        });
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);

        using (var outsider = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            outsider.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 0));
            await outsider.ConnectAsync(listen.TcpListenEndPoint!);
            Assert.True(await RawPeer.ReadsEndOfStreamAsync(outsider), "a refused peer stayed connected");
        }

        Assert.Equal(1, Interlocked.Read(ref listen.Stats.LinksRefused));

        using var insider = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        insider.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await insider.ConnectAsync(listen.TcpListenEndPoint!);
        await RawPeer.WriteFrameAsync(insider, "allowed"u8.ToArray());
        var (data, _) = await app.ReceiveAsync("the allowed peer's datagram");
        Assert.Equal("allowed"u8.ToArray(), data);

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Udp_peer_only_drops_datagrams_from_other_local_processes(UdpDataPath path)
    {
        using var app = new UdpApp();
        using var stranger = new UdpApp();
        using var listen = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = app.EndPoint, UdpPeerOnly = true, DataPath = path,
        });
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listen.TcpListenEndPoint!);
        await listen.WhenLinkUp().Within("accept");

        stranger.SendTo(listen.UdpEndPoint, "injected"u8);
        await Eventually.True(() => Interlocked.Read(ref listen.Stats.DroppedNotPeer) == 1, "the stranger's datagram to be dropped");
        app.SendTo(listen.UdpEndPoint, "from the app"u8);
        Assert.Equal("from the app"u8.ToArray(), await RawPeer.ReadFrameAsync(peer));

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }
}
