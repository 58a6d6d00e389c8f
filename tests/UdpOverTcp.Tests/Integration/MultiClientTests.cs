using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

/// <summary>
/// --multi-client: one listen end in this process, many connect ends (portable, so no threads of their
/// own), and an echo app behind the server that notes every source port it sees.
/// </summary>
[InProcessTest]
public class MultiClientTests
{
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    private static readonly byte[] Secret = "shared secret"u8.ToArray();

    [Fact]
    public async Task Fifty_clients_each_get_their_own_answers_and_one_leaving_disturbs_no_other()
    {
        await using var server = new Server(o => o);
        var clients = new List<Client>();
        try
        {
            for (int id = 0; id < 50; id++)
            {
                clients.Add(new Client(id, server.TcpEndPoint, o => o));
            }

            await Task.WhenAll(clients.Select(c => c.Tunnel.WhenLinkUp())).Within("50 clients to link up");
            await Task.WhenAll(clients.Select(c => c.ExchangeAsync(40)));

            // The echo app saw 50 distinct source ports, one per client, and each client's answers came back to it alone.
            Assert.Equal(50, server.PortOf.Count);
            Assert.Equal(50, server.PortOf.Values.Distinct().Count());
            Assert.Equal(50, Interlocked.Read(ref server.Tunnel.Stats.ClientsNow));
            Assert.Equal(50, Interlocked.Read(ref server.Tunnel.Stats.ClientsMost));
            Assert.Equal(50, Interlocked.Read(ref server.Tunnel.Stats.ClientsTotal));
            Assert.Contains("clients now 50 most 50 total 50 refused 0", server.Tunnel.StatusLine());

            // A client goes: its UDP socket on the server is closed (the port can be bound again).
            int leaverPort = server.PortOf[0];
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            await Eventually.True(() => Interlocked.Read(ref server.Tunnel.Stats.ClientsNow) == 49, "the server to count 49 clients");
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, leaverPort));   // throws while the server still holds it
            }

            // A peer that sends garbage (a frame longer than --max-frame) is closed, alone.
            using (var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await garbage.ConnectAsync(server.TcpEndPoint);
                var header = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(header, 1_000_000);
                await garbage.SendAsync(header);
                Assert.True(await RawPeer.ReadsEndOfStreamAsync(garbage));
            }

            // The other 49 go on, over the same sockets as before.
            await Task.WhenAll(clients.Select(c => c.ExchangeAsync(20)));
            Assert.Equal(50, server.PortOf.Count);
            Assert.Equal(1, Interlocked.Read(ref server.Tunnel.Stats.MalformedFrames));
            Assert.Equal(0, Interlocked.Read(ref server.Tunnel.Stats.DroppedNotPeer));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task Bursts_of_equal_datagrams_leave_the_server_in_batches_whole_and_in_order()
    {
        await using var server = new Server(o => o);
        var clients = Enumerable.Range(0, 4).Select(id => new Client(id, server.TcpEndPoint, o => o)).ToList();
        try
        {
            if (OperatingSystem.IsLinux())
            {
                Assert.Contains("sendmmsg", server.Tunnel.PumpKind);   // the clients' sends to the app are batched
            }

            await Task.WhenAll(clients.Select(c => c.Tunnel.WhenLinkUp())).Within("4 clients to link up");
            // Fifty at once per client: the server reads several frames at a time and sends them as GSO runs.
            await Task.WhenAll(clients.Select(c => c.BurstAsync(bursts: 8, perBurst: 50)));
            Assert.Equal(4 * 8 * 50, Interlocked.Read(ref server.Tunnel.Stats.UdpSent));
            Assert.Equal(0, Interlocked.Read(ref server.Tunnel.Stats.UdpSendErrors));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("::", "127.0.0.1")]   // a dual-mode socket: the peer's address is IPv4-mapped
    public async Task Datagrams_queued_for_a_client_reach_it_in_order_and_strangers_stay_out(string bind, string appAddress)
    {
        var appLoopback = new IPEndPoint(IPAddress.Parse(appAddress), 0);
        using var app = new UdpApp(appLoopback);
        using var stranger = new UdpApp(appLoopback);
        using var stop = new CancellationTokenSource();
        using var tunnel = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = new IPEndPoint(IPAddress.Parse(bind), 0), UdpSendTo = app.EndPoint,
            MultiClient = true, QueueDelay = TunnelPair.LoadedMachineQueueDelay,
        });
        var running = tunnel.RunAsync(stop.Token);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(tunnel.TcpListenEndPoint!);
        try
        {
            // The client's first datagram shows the app its port on the server.
            await RawPeer.WriteFrameAsync(client, [1, 2, 3]);
            var (_, port) = await app.ReceiveAsync("the client's first datagram");

            // A burst the server finds queued on the client's socket, a stranger's datagram among every ten.
            const int Count = 120;   // with the strangers, 100 KB of socket buffer: well inside the default 208 KB
            for (int i = 0; i < Count; i++)
            {
                app.SendTo(port, BitConverter.GetBytes(i));
                if (i % 10 == 0)
                {
                    stranger.SendTo(port, "not from the peer"u8);
                }
            }

            for (int i = 0; i < Count; i++)
            {
                Assert.Equal(i, BitConverter.ToInt32(await RawPeer.ReadFrameAsync(client)));
            }

            await Eventually.True(() => Interlocked.Read(ref tunnel.Stats.DroppedNotPeer) == Count / 10, "the strangers' datagrams to be counted");
            Assert.Equal(Count + (Count / 10), Interlocked.Read(ref tunnel.Stats.UdpReceived));
        }
        finally
        {
            stop.Cancel();
            await running.Within("the server to stop");
        }
    }

    [Fact]
    public async Task Past_max_clients_a_connection_is_refused_and_counted()
    {
        await using var server = new Server(o => o with { MaxClients = 2 });
        await using var first = new Client(1, server.TcpEndPoint, o => o);
        await using var second = new Client(2, server.TcpEndPoint, o => o);
        await Task.WhenAll(first.Tunnel.WhenLinkUp(), second.Tunnel.WhenLinkUp()).Within("two clients to link up");
        await Eventually.True(() => Interlocked.Read(ref server.Tunnel.Stats.ClientsNow) == 2, "the server to count 2 clients");

        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await third.ConnectAsync(server.TcpEndPoint);
        Assert.True(await RawPeer.ReadsEndOfStreamAsync(third));
        Assert.Equal(1, Interlocked.Read(ref server.Tunnel.Stats.ClientsRefused));
        Assert.Equal(2, Interlocked.Read(ref server.Tunnel.Stats.ClientsTotal));

        await Task.WhenAll(first.ExchangeAsync(20), second.ExchangeAsync(20));
        Assert.Equal(2, server.PortOf.Count);
    }

    [Fact]
    public async Task With_a_secret_a_client_with_the_wrong_one_never_gets_a_socket()
    {
        await using var server = new Server(o => o with { Secret = Secret });
        await using var good = new Client(1, server.TcpEndPoint, o => o with { Secret = Secret });
        await good.Tunnel.WhenLinkUp().Within("the good client to link up");
        await good.ExchangeAsync(20);

        await using var wrong = new Client(2, server.TcpEndPoint, o => o with { Secret = "other"u8.ToArray() });
        await Eventually.True(() => Interlocked.Read(ref server.Tunnel.Stats.AuthFailures) >= 1, "the wrong secret to be refused");
        wrong.App.SendTo(wrong.Tunnel.UdpEndPoint, "should not arrive"u8);

        await good.ExchangeAsync(20);   // the good one goes on; by now the wrong one's datagram would have been echoed too
        Assert.Equal(1, Interlocked.Read(ref server.Tunnel.Stats.ClientsTotal));
        Assert.Equal(1, Interlocked.Read(ref server.Tunnel.Stats.ClientsMost));
        Assert.Single(server.PortOf);
    }

    private static async Task DisposeAllAsync(IEnumerable<Client> clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>The listen end with --multi-client, and an echo app behind it that notes each client's source port.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;
        private readonly Task _echoing;
        private readonly UdpApp _echo = new();

        public Server(Func<TunnelOptions, TunnelOptions> configure)
        {
            Tunnel = new Tunnel(configure(new TunnelOptions
            {
                Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = _echo.EndPoint,
                MultiClient = true, QueueDelay = TunnelPair.LoadedMachineQueueDelay,
            }));
            _running = Tunnel.RunAsync(_stop.Token);
            _echoing = EchoAsync();
        }

        public Tunnel Tunnel { get; }

        public IPEndPoint TcpEndPoint => Tunnel.TcpListenEndPoint!;

        /// <summary>Client id (the first 4 bytes of each datagram) → the source port its datagrams came from.</summary>
        public ConcurrentDictionary<int, int> PortOf { get; } = new();

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _running.Within("the server to stop");
            _echo.Dispose();
            await _echoing.Within("the echo app to stop");
            Tunnel.Dispose();
            _stop.Dispose();
        }

        private async Task EchoAsync()
        {
            var buffer = new byte[65536];
            var any = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    var r = await _echo.Socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
                    var from = (IPEndPoint)r.RemoteEndPoint;
                    int id = BinaryPrimitives.ReadInt32LittleEndian(buffer);
                    int port = PortOf.GetOrAdd(id, from.Port);
                    Assert.Equal(port, from.Port);   // a client's datagrams always come from its own port
                    await _echo.Socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, from);
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
            }
        }
    }

    /// <summary>A connect end on the portable path and its app, which sends numbered datagrams and checks each answer.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;
        private readonly int _id;
        private int _sequence;

        public Client(int id, IPEndPoint server, Func<TunnelOptions, TunnelOptions> configure)
        {
            _id = id;
            Tunnel = new Tunnel(configure(new TunnelOptions
            {
                Role = TcpRole.Connect, TcpEndpoint = server, UdpBind = Loopback0, UdpSendTo = App.EndPoint,
                DataPath = UdpDataPath.Portable, QueueDelay = TunnelPair.LoadedMachineQueueDelay,
            }));
            _running = Tunnel.RunAsync(_stop.Token);
        }

        public UdpApp App { get; } = new();

        public Tunnel Tunnel { get; }

        /// <summary>One datagram at a time, each answered with exactly itself: own id, next number, same bytes.</summary>
        public async Task ExchangeAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                int sequence = _sequence++;
                var datagram = new byte[8 + (sequence * 37 % 1200)];
                BinaryPrimitives.WriteInt32LittleEndian(datagram, _id);
                BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(4), sequence);
                Random.Shared.NextBytes(datagram.AsSpan(8));
                App.SendTo(Tunnel.UdpEndPoint, datagram);
                var (answer, from) = await App.ReceiveAsync($"client {_id}'s answer {sequence}");
                Assert.Equal(Tunnel.UdpEndPoint, from);
                Assert.Equal(datagram, answer);
            }
        }

        /// <summary>
        /// <paramref name="perBurst"/> datagrams of one size sent back to back, then their answers awaited in
        /// order, each exactly itself; the size changes from burst to burst.
        /// </summary>
        public async Task BurstAsync(int bursts, int perBurst)
        {
            for (int burst = 0; burst < bursts; burst++)
            {
                var sent = new List<byte[]>();
                for (int i = 0; i < perBurst; i++)
                {
                    var datagram = new byte[100 + (burst * 150)];
                    BinaryPrimitives.WriteInt32LittleEndian(datagram, _id);
                    BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(4), _sequence++);
                    Random.Shared.NextBytes(datagram.AsSpan(8));
                    App.SendTo(Tunnel.UdpEndPoint, datagram);
                    sent.Add(datagram);
                }

                foreach (var datagram in sent)
                {
                    var (answer, _) = await App.ReceiveAsync($"client {_id}'s answer {BinaryPrimitives.ReadInt32LittleEndian(datagram.AsSpan(4))}");
                    Assert.Equal(datagram, answer);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            await _running.Within($"client {_id} to stop");
            Tunnel.Dispose();
            App.Dispose();
            _stop.Dispose();
        }
    }
}
