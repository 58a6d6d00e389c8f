using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The README's usage example with the published binary and its default addresses, on one host.
/// One host cannot bind port A twice, so app X sits on its own port (Ax) and tunnel Y binds Ay;
/// everything else is as in the README: port-only arguments, defaults 0.0.0.0 and 127.0.0.1.
/// </summary>
[EndToEndTest]
public sealed class TwoProcessTests
{
    [Fact]
    public async Task Readme_example_carries_datagrams_both_ways_with_bonded_ports()
    {
        await using var setup = await ReadmeTunnels.StartAsync();
        await setup.ExchangeBothWaysAsync(400, seed: 10);
    }

    [Fact]
    public async Task Killed_and_restarted_listen_side_resumes_without_restarting_the_connect_side()
    {
        await using var setup = await ReadmeTunnels.StartAsync();
        await setup.ExchangeBothWaysAsync(50, seed: 20);

        for (int restart = 1; restart <= 3; restart++)
        {
            await setup.RestartListenSideAsync();   // SIGKILL: no FIN handshake courtesy beyond what the kernel does
            await setup.ConnectSide.WaitForLineAsync("link up: connected", occurrence: restart + 1);
            await setup.ExchangeBothWaysAsync(50, seed: 20 + restart);
        }

        Assert.False(setup.ConnectSide.HasExited);
    }

    [Fact]
    public async Task A_second_client_replaces_the_first()
    {
        int tcpPort = FreePort.Tcp();
        using var app = new UdpApp();
        int udpPort = FreePort.Udp();
        using var listen = TunnelProcess.Start("--tcp-listen", tcpPort.ToString(), "--udp-bind", udpPort.ToString(), "--udp-sendto", app.EndPoint.Port.ToString());
        await listen.WhenReadyAsync();
        var entry = new IPEndPoint(IPAddress.Loopback, udpPort);

        using var first = await RawPeer.ConnectAsync(tcpPort);
        await listen.WaitForLineAsync("link up: accepted");
        app.SendTo(entry, "to first"u8);
        Assert.Equal("to first"u8.ToArray(), await RawPeer.ReadFrameAsync(first));

        using var second = await RawPeer.ConnectAsync(tcpPort);
        await listen.WaitForLineAsync("replaces link from");
        Assert.True(await RawPeer.ReadsEndOfStreamAsync(first), "the replaced link stayed open");

        app.SendTo(entry, "to second"u8);
        Assert.Equal("to second"u8.ToArray(), await RawPeer.ReadFrameAsync(second));
        await RawPeer.WriteFrameAsync(second, "from second"u8.ToArray());
        var (data, from) = await app.ReceiveAsync();
        Assert.Equal("from second"u8.ToArray(), data);
        Assert.Equal(udpPort, from.Port);
    }

    [Fact]
    public async Task Garbage_on_the_tcp_port_never_kills_the_process()
    {
        int tcpPort = FreePort.Tcp();
        using var app = new UdpApp();
        using var listen = TunnelProcess.Start("-l", tcpPort.ToString(), "-u", "127.0.0.1:0", "-p", app.EndPoint.Port.ToString());
        await listen.WhenReadyAsync();
        var random = new Random(7);

        for (int i = 0; i < 20; i++)
        {
            using var garbage = await RawPeer.ConnectAsync(tcpPort);
            var bytes = new byte[random.Next(1, 70000)];
            random.NextBytes(bytes);
            // Make sure the stream is malformed: the first length is far above the limit.
            bytes[0] = 0xFF;
            bytes[^1] = 0xFF;
            if (bytes.Length >= 4)
            {
                bytes[3] = 0xFF;
            }

            try
            {
                await garbage.SendAsync(bytes);
            }
            catch (SocketException)
            {
                // The tunnel may reset the link before all garbage is written: that is the point.
            }

            Assert.True(await RawPeer.ReadsEndOfStreamAsync(garbage), "a garbage link stayed open");
        }

        // Connect/close cycles and an abrupt reset.
        for (int i = 0; i < 50; i++)
        {
            using var idle = await RawPeer.ConnectAsync(tcpPort);
        }

        using (var reset = await RawPeer.ConnectAsync(tcpPort))
        {
            await reset.SendAsync(new byte[] { 10, 0, 0, 0, 1, 2 });
            reset.LingerState = new LingerOption(true, 0);   // close with RST, mid-frame
        }

        Assert.False(listen.HasExited);
        using var good = await RawPeer.ConnectAsync(tcpPort);
        await RawPeer.WriteFrameAsync(good, "still here"u8.ToArray());
        var (data, _) = await app.ReceiveAsync("a datagram after the garbage");
        Assert.Equal("still here"u8.ToArray(), data);
        Assert.Contains(listen.Lines, l => l.Contains("frame length", StringComparison.Ordinal));
    }
}
