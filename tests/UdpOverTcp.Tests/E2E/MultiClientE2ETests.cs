using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Tests.Support;
using Xunit.Abstractions;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published binary with --multi-client: what a thousand connected idle clients cost, and a
/// client's join and leave as the operator sees them (debug lines with its UDP port, the stats line).
/// The clients are plain TCP sockets speaking the u32le wire format: the server cannot tell them from
/// connect ends.
/// </summary>
[EndToEndTest]
public sealed class MultiClientE2ETests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_thousand_idle_clients_fit_in_64_MB_and_take_no_thread_each()
    {
        const int clients = 1000;
        using var app = new UdpApp();
        using var server = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", app.EndPoint.ToString(), "--multi-client", "--max-clients", $"{clients}");
        var tcp = ListenAddress(await server.WaitForLineAsync("listening on tcp"));
        int threadsBefore = Threads(server.Id);

        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < clients; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(tcp);
            }

            await StatsSayAsync(server, $"clients now {clients} ");
            long rss = ResidentBytes(server.Id);
            int threads = Threads(server.Id);
            var cpuBefore = ProcessFigures.CpuTime(server.Id);
            await Task.Delay(TimeSpan.FromSeconds(2));   // what idle clients cost over a while, not an event to await
            var idleCpu = ProcessFigures.CpuTime(server.Id) - cpuBefore;
            output.WriteLine($"{clients} idle clients: VmRSS {rss >> 10} KiB, threads {threads} (before {threadsBefore}), CPU {idleCpu.TotalMilliseconds:0} ms in 2 s, descriptors {ProcessFigures.OpenDescriptors(server.Id)}");
            Assert.True(rss < 64L << 20, $"VmRSS {rss} bytes with {clients} idle clients");
            Assert.True(threads < threadsBefore + 16, $"{threads} threads with {clients} clients, {threadsBefore} before");
            Assert.True(idleCpu < TimeSpan.FromMilliseconds(500), $"idle clients took {idleCpu.TotalMilliseconds} ms of CPU in 2 s");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await StatsSayAsync(server, $"clients now 0 most {clients} total {clients} refused 0");
    }

    [Fact]
    public async Task A_client_joins_and_leaves_with_debug_lines_naming_its_udp_port_and_what_it_carried()
    {
        using var app = new UdpApp();
        using var server = TunnelProcess.Start("-v", "-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", app.EndPoint.ToString(), "--multi-client", "--max-clients", "1");
        var tcp = ListenAddress(await server.WaitForLineAsync("listening on tcp"));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(tcp);
        string joined = await server.WaitForLineAsync(" joined: udp port ");
        int port = int.Parse(joined.Split(" joined: udp port ")[1].Split(' ')[0]);

        // Its datagram reaches the app from that port, and the app's answer comes back over its link.
        await RawPeer.WriteFrameAsync(client, "hello"u8.ToArray());
        var (data, from) = await app.ReceiveAsync("the client's datagram");
        Assert.Equal("hello"u8.ToArray(), data);
        Assert.Equal(port, from.Port);
        app.SendTo(from, "answer"u8);
        Assert.Equal("answer"u8.ToArray(), await RawPeer.ReadFrameAsync(client));

        // A second one is refused, with a warning.
        using (var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await second.ConnectAsync(tcp);
            Assert.True(await RawPeer.ReadsEndOfStreamAsync(second));
            await server.WaitForLineAsync("refused: already 1 clients (--max-clients)");
        }

        // At debug level the statistics line comes with a line per client: its port, what it carried, and
        // what the kernel's TCP says of its link (TCP_INFO); the leaving line says the same of its end.
        const string Figures = "; " + KernelFiguresPattern.Loopback;
        await server.RequestStatsAsync();
        string each = await server.WaitForLineAsync($" on udp port {port}, up ");
        Assert.Matches(": 1 datagrams to the app, 1 from it" + Figures + "$", each);

        client.Close();
        string left = await server.WaitForLineAsync($"udp port {port} closed");
        Assert.Contains(" left after ", left);
        Assert.Matches("; 1 datagrams to the app, 1 from it" + Figures + "; udp port", left);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, port));   // the server no longer holds it
        Assert.Contains("clients now 0 most 1 total 1 refused 1", await server.RequestStatsAsync());
    }

    /// <summary>Asks for the statistics line until it says <paramref name="text"/>: the count has no event of its own.</summary>
    private static async Task StatsSayAsync(TunnelProcess server, string text)
    {
        var deadline = DateTime.UtcNow + Guard.Timeout;
        string line;
        while (!(line = await server.RequestStatsAsync()).Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the statistics line never said '{text}': {line}");
            }

            await Task.Delay(100);
        }
    }

    private static IPEndPoint ListenAddress(string line) => IPEndPoint.Parse(line.Split("listening on tcp ")[1].Split(',')[0]);

    private static long ResidentBytes(int pid) => Status(pid, "VmRSS:") * 1024;

    private static int Threads(int pid) => (int)Status(pid, "Threads:");

    private static long Status(int pid, string field)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
