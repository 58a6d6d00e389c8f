using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.Cli;
using UdpOverTcp.Framing;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

/// <summary>
/// Tunnel ends that meet through the HTTP Upgrade (--http-upgrade PATH ↔ --tcp-connect http://HOST:PORT/PATH),
/// and strangers at the listen port who do not ask for it: each gets a web server's answer or is closed
/// within the deadline, and the live link goes on untouched.
/// </summary>
[InProcessTest]
public sealed class HttpUpgradeTests
{
    private const string Path = "/uot";
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);

    public static TheoryData<UdpDataPath> Paths => new() { UdpDataPath.Portable, UdpDataPath.Batched };

    private static TunnelOptions Upgrading(TunnelOptions o, string path = Path) => o with
    {
        UpgradePath = path,
        UpgradeHost = o.Role == TcpRole.Connect ? "tunnel.example" : null,
        HandshakeTimeout = TimeSpan.FromSeconds(2),
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_pair_through_the_upgrade_carries_datagrams_both_ways(UdpDataPath path)
    {
        await using var pair = await TunnelPair.StartAsync(FramingKind.U16BigEndian, path, o => Upgrading(o));
        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, VerifiedExchange.MixedSizes(200, 23));
        await VerifiedExchange.RunAsync(pair.AppY, pair.ListenEntry, pair.AppX, pair.ConnectEntry, VerifiedExchange.MixedSizes(200, 24));
    }

    [Fact]
    public async Task The_secrets_handshake_runs_on_top_of_the_upgrade()
    {
        await using var pair = await TunnelPair.StartAsync(FramingKind.U16BigEndian, configure: o => Upgrading(o) with { Secret = "shared secret"u8.ToArray() });
        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, VerifiedExchange.MixedSizes(100, 25));
        Assert.Equal(0, Interlocked.Read(ref pair.Listen.Stats.AuthFailures));
    }

    [Fact]
    public async Task Strangers_get_a_web_servers_answer_or_are_closed_and_the_live_link_goes_on()
    {
        await using var pair = await TunnelPair.StartAsync(FramingKind.U16BigEndian, configure: o => Upgrading(o));
        int port = pair.Listen.TcpListenEndPoint!.Port;

        Assert.Equal(UpgradeResponse.NotFound, await AnswerTo(port, "GET /other HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n"));
        Assert.Equal(UpgradeResponse.BadRequest, await AnswerTo(port, "\u0001garbage\r\n\r\n"));
        Assert.Equal(UpgradeResponse.BadRequest, await AnswerTo(port, "GET /uot HTTP/1.1\nHost: h\n\n"));
        Assert.Equal(UpgradeResponse.UpgradeRequired, await AnswerTo(port, "GET /uot HTTP/1.1\r\nHost: h\r\n\r\n"));
        Assert.Equal(UpgradeResponse.HeadTooLarge, await AnswerTo(port, "GET /uot HTTP/1.1\r\n" + new string('x', HttpHead.MaxBytes)));
        // A stalled partial head is closed at the deadline (2 s here), without an answer.
        var stalled = Stopwatch.StartNew();
        Assert.Empty(await AnswerTo(port, "GET /uot HTTP/1.1\r\nHost: h\r\n"));
        Assert.InRange(stalled.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        await VerifiedExchange.RunAsync(pair.AppX, pair.ConnectEntry, pair.AppY, pair.ListenEntry, VerifiedExchange.MixedSizes(50, 26));
        await VerifiedExchange.RunAsync(pair.AppY, pair.ListenEntry, pair.AppX, pair.ConnectEntry, VerifiedExchange.MixedSizes(50, 27));
        Assert.Equal(1, Interlocked.Read(ref pair.Listen.Stats.LinksEstablished));
        Assert.Equal(6, Interlocked.Read(ref pair.Listen.Stats.HandshakesUnfinished));
    }

    [Fact]
    public async Task Frame_bytes_sent_with_the_request_are_the_links_first_datagram()
    {
        using var app = new UdpApp();
        using var listen = new Tunnel(Upgrading(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = app.EndPoint, Framing = FramingKind.U16BigEndian }));
        using var stop = new CancellationTokenSource();
        var running = listen.RunAsync(stop.Token);

        using var client = await RawPeer.ConnectAsync(listen.TcpListenEndPoint!.Port);
        byte[] request = UpgradeRequest.Write("tunnel.example", Path);
        await client.SendAsync((byte[])[.. request, 0, 5, .. "first"u8, 0, 6, .. "second"u8]);
        var answer = new byte[UpgradeResponse.SwitchingProtocols.Length];
        for (int got = 0; got < answer.Length;)
        {
            got += await client.ReceiveAsync(answer.AsMemory(got)).AsTask().Within("the 101 answer");
        }

        Assert.Equal(UpgradeResponse.SwitchingProtocols, answer);
        Assert.Equal("first"u8.ToArray(), (await app.ReceiveAsync("the first datagram")).Item1);
        Assert.Equal("second"u8.ToArray(), (await app.ReceiveAsync("the second datagram")).Item1);

        stop.Cancel();
        await running.Within("the tunnel to stop");
    }

    [Fact]
    public async Task A_connect_side_asking_for_another_path_is_refused_and_retries_without_linking()
    {
        using var app = new UdpApp();
        using var listen = new Tunnel(Upgrading(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = app.EndPoint, Framing = FramingKind.U16BigEndian }));
        using var connect = new Tunnel(Upgrading(new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = listen.TcpListenEndPoint, UdpBind = Loopback0, UdpSendTo = app.EndPoint, Framing = FramingKind.U16BigEndian }, "/wrong"));
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(listen.RunAsync(stop.Token), connect.RunAsync(stop.Token));

        await Eventually.True(() => Interlocked.Read(ref connect.Stats.LinkFailures) >= 2, "the connect side to be refused twice");
        Assert.Equal(0, Interlocked.Read(ref listen.Stats.LinksEstablished));
        Assert.Equal(0, Interlocked.Read(ref connect.Stats.LinksEstablished));

        stop.Cancel();
        await running.Within("both ends to stop");
    }

    [Fact]
    public async Task Strangers_stalled_in_their_requests_past_every_place_do_not_keep_the_peer_out()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        using var listen = new Tunnel(Upgrading(new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = appY.EndPoint, Framing = FramingKind.U16BigEndian }) with { HandshakeTimeout = TimeSpan.FromSeconds(60) });
        using var stop = new CancellationTokenSource();
        var running = new List<Task> { listen.RunAsync(stop.Token) };
        var strangers = new List<Socket>();
        Tunnel? connect = null;
        try
        {
            // More than the places there are, each with half a request and then nothing, well inside the deadline.
            for (int i = 0; i < 300; i++)
            {
                var stranger = await RawPeer.ConnectAsync(listen.TcpListenEndPoint!.Port);
                strangers.Add(stranger);
                await stranger.SendAsync("GET /uot HTTP/1.1\r\nHost: h\r\n"u8.ToArray());
            }

            connect = new Tunnel(Upgrading(new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = listen.TcpListenEndPoint, UdpBind = Loopback0, UdpSendTo = appX.EndPoint, Framing = FramingKind.U16BigEndian }));
            running.Add(connect.RunAsync(stop.Token));
            await Task.WhenAll(listen.WhenLinkUp(), connect.WhenLinkUp()).Within("the peer to link through the strangers");
            await VerifiedExchange.RunAsync(appX, connect.UdpEndPoint, appY, listen.UdpEndPoint, VerifiedExchange.MixedSizes(50, 28));
            Assert.True(Interlocked.Read(ref listen.Stats.HandshakesUnfinished) >= 300 - PendingHandshakesCapacity, "the oldest strangers were crowded out");
        }
        finally
        {
            strangers.ForEach(s => s.Dispose());
            stop.Cancel();
            await Task.WhenAll(running).Within("the tunnels to stop");
            connect?.Dispose();
        }
    }

    private const int PendingHandshakesCapacity = UdpOverTcp.Links.Listen.PendingHandshakes.MaxPending;

    /// <summary>Everything the listen side answers <paramref name="request"/> with, until it closes.</summary>
    private static async Task<byte[]> AnswerTo(int port, string request)
    {
        using var socket = await RawPeer.ConnectAsync(port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        return await RawPeer.ReadUntilClosedAsync(socket);
    }
}
