using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;
using Xunit.Abstractions;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// Memory never grows with offered load: the tunnel's peak resident size (VmHWM) after ten times more
/// traffic than a first measurement stays where it was, both when the TCP peer stops reading (the
/// tunnel must drop at the UDP edge, not buffer) and when the peer floods maximum-size frames at an
/// app that does not read. A bound on bytes, not on time.
/// </summary>
[EndToEndTest]
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    private const int MaxDatagram = 65507;
    private const long FirstMeasure = 50L << 20;
    private const long SecondMeasure = 500L << 20;

    /// <summary>Growth allowed between the two measurements: allocator noise, far below the 450 MB offered in between.</summary>
    private const long AllowedGrowth = 8L << 20;

    [Fact]
    public async Task A_peer_that_stops_reading_makes_the_tunnel_drop_not_grow()
    {
        using var peerListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peerListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peerListener.Listen();
        int udpPort = FreePort.Udp();
        using var tunnel = TunnelProcess.Start("-t", peerListener.LocalEndPoint!.ToString()!, "-u", $"127.0.0.1:{udpPort}", "-p", "9");
        using var peer = await peerListener.AcceptAsync().Within("the tunnel to connect");   // and never read from
        await tunnel.WaitForLineAsync("link up: connected");

        using var app = new UdpApp();
        var entry = new IPEndPoint(IPAddress.Loopback, udpPort);
        var datagram = new byte[MaxDatagram];
        var flood = () =>
        {
            for (int i = 0; i < 200; i++)
            {
                app.SendTo(entry, datagram);
            }
        };

        long first = await FloodUntilAsync(tunnel, flood, UdpToTcpBytes, FirstMeasure);
        long second = await FloodUntilAsync(tunnel, flood, UdpToTcpBytes, SecondMeasure);
        var line = await tunnel.RequestStatsAsync();
        output.WriteLine($"peer not reading: VmHWM {first >> 10} KiB after {FirstMeasure >> 20} MB offered, {second >> 10} KiB after {SecondMeasure >> 20} MB; {line}");
        Assert.True(second - first < AllowedGrowth, $"VmHWM grew from {first} to {second} bytes");
        Assert.True(Counter(line, @"(\d+) backpressure") > 0, "nothing was dropped for backpressure: " + line);
    }

    [Fact]
    public async Task A_flood_of_maximum_size_frames_to_an_app_that_does_not_read_keeps_memory_flat()
    {
        using var app = new UdpApp();   // never reads: the tunnel's sends overflow its buffer and vanish
        using var tunnel = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", app.EndPoint.Port.ToString());
        int tcpPort = SpawnedTunnels.ParseEndpoints(await tunnel.WhenReadyAsync()).Tcp.Port;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tcpPort)).Within("connect");

        byte[] frames = new byte[16 * (4 + MaxDatagram)];
        for (int f = 0; f < 16; f++)
        {
            BitConverter.TryWriteBytes(frames.AsSpan(f * (4 + MaxDatagram)), MaxDatagram);
        }

        var flood = () =>
        {
            for (int i = 0; i < 12; i++)
            {
                peer.Send(frames);
            }
        };

        long first = await FloodUntilAsync(tunnel, flood, TcpToUdpBytes, FirstMeasure);
        long second = await FloodUntilAsync(tunnel, flood, TcpToUdpBytes, SecondMeasure);
        output.WriteLine($"max-size frames: VmHWM {first >> 10} KiB after {FirstMeasure >> 20} MB, {second >> 10} KiB after {SecondMeasure >> 20} MB; {await tunnel.RequestStatsAsync()}");
        Assert.True(second - first < AllowedGrowth, $"VmHWM grew from {first} to {second} bytes");
    }

    /// <summary>Floods in rounds until the tunnel's own counter says it handled <paramref name="bytes"/>; returns its VmHWM then.</summary>
    private static async Task<long> FloodUntilAsync(TunnelProcess tunnel, Action flood, Func<string, long> counter, long bytes)
    {
        while (counter(await tunnel.RequestStatsAsync()) < bytes)
        {
            await Task.Run(flood).Within("a round of flooding");
        }

        return ProcessFigures.PeakResidentBytes(tunnel.Id);
    }

    private static long UdpToTcpBytes(string line) => Counter(line, @"udp->tcp received \d+ datagrams (\d+) bytes");

    private static long TcpToUdpBytes(string line) => Counter(line, @"tcp->udp \d+ datagrams (\d+) bytes");

    private static long Counter(string line, string pattern) => long.Parse(Regex.Match(line, pattern).Groups[1].Value);
}
