using System.IO.Pipelines;
using UdpOverTcp.Cli;
using UdpOverTcp.DataPath;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Framing;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Integration;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The TLS link loops allocate nothing per datagram: two TcpLinks over a real loopback connection, each
/// with a TlsLinkCodec (the sessions shaken hands in memory, <see cref="InMemoryTlsPair"/>), frames written
/// into one link's output lane and read off the other's input pipe, both ways at once; and a whole tunnel
/// pair, the listen end terminating TLS (--tls-cert) and the connect end dialing https://, datagrams
/// through both. Counted as SteadyStateAllocationTests counts: four windows of 100,000, the quietest judged.
/// </summary>
[Collection(nameof(AllocationCounting))]
[InProcessTest]
[NeedsLinux]
public sealed class TlsLinkAllocationTests : IClassFixture<TestCertificates>
{
    private const int Size = 64;
    private const int LargeSize = 1200;
    private const int Window = 32;
    private const int PerWindowEachWay = 50_000;
    private readonly TestCertificates _certificates;

    public TlsLinkAllocationTests(TestCertificates certificates) => _certificates = certificates;

    [Theory]
    [InlineData(UdpDataPath.Batched)]
    [InlineData(UdpDataPath.Portable)]
    public async Task Tls_links_carry_frames_both_ways_allocating_nothing_per_frame(UdpDataPath path)
    {
        using var tls = new InMemoryTlsPair(_certificates.Server);
        var (client, server) = LoopbackTcp.Connect();

        var codec = new FrameCodec(FramingKind.U16BigEndian);
        var dataPath = DataPathFactory.For(path);
        var a = dataPath.CreateLink(client, codec, true, QueuePolicy.BytesOnly, new TunnelStats());
        var b = dataPath.CreateLink(server, codec, true, QueuePolicy.BytesOnly, new TunnelStats());
        a.Tls = new TlsLinkCodec(tls.Client, default);
        b.Tls = new TlsLinkCodec(tls.Server, default);
        a.Start();
        b.Start();
        try
        {
            await Exchange(a, b, codec, 50_000);   // fill the pools, reach steady state
            var allocated = new long[4];
            for (int i = 0; i < allocated.Length; i++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                await Exchange(a, b, codec, PerWindowEachWay);
                allocated[i] = GC.GetTotalAllocatedBytes(precise: true) - before;
            }

            SteadyStateAllocationTests.AssertQuiet($"{path}, two links over TLS", allocated);
        }
        finally
        {
            a.Abort(LinkEnd.Closed);
            b.Abort(LinkEnd.Closed);
            await Task.WhenAll(a.Closed, b.Closed).Within("both links closing");
        }
    }

    [Theory]
    [InlineData(UdpDataPath.Batched)]
    [InlineData(UdpDataPath.Portable)]
    public async Task A_tunnel_pair_over_TLS_forwards_both_ways_allocating_nothing_per_datagram(UdpDataPath path)
    {
        using var context = new TlsServerContext(_certificates.Server.Certificate, _certificates.Server.Key);
        var client = new TlsClientSettings("localhost", _certificates.Ca.Certificate, null, null);
        await using var pair = await TunnelPair.StartAsync(FramingKind.U16BigEndian, path, o => o.Role == TcpRole.Listen
            ? o with { TlsServer = context, UpgradePath = "/tunnel" }
            : o with { Tls = true, TlsClient = client, UpgradePath = "/tunnel", UpgradeHost = "localhost" });
        SteadyStateAllocationTests.Exchange(pair, 50_000, mixedSizes: true);   // fill the pools, reach steady state

        var allocated = new long[4];
        for (int i = 0; i < allocated.Length; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            SteadyStateAllocationTests.Exchange(pair, PerWindowEachWay, mixedSizes: true);
            allocated[i] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        SteadyStateAllocationTests.AssertQuiet($"{path}, a tunnel pair over TLS", allocated);
    }

    private static Task Exchange(TcpLink a, TcpLink b, FrameCodec codec, int count) =>
        Task.WhenAll(Task.Run(() => Pump(a, b, codec, count)), Task.Run(() => Pump(b, a, codec, count))).Within("frames both ways over TLS");

    /// <summary>Windows of 32 frames, 64 and 1,200 B by turns, from <paramref name="from"/>'s lane to <paramref name="to"/>'s input, each checked for its length.</summary>
    private static async Task Pump(TcpLink from, TcpLink to, FrameCodec codec, int count)
    {
        byte[] payload = new byte[LargeSize];
        PipeReader input = to.Input;
        for (int sent = 0; sent < count; sent += Window)
        {
            for (int i = 0; i < Window; i++)
            {
                codec.WriteFrame(from.Output, payload.AsSpan(0, i % 2 == 1 ? LargeSize : Size));
            }

            await from.Output.FlushAsync();
            int received = 0;
            while (received < Window)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                while (received < Window && codec.TryReadFrame(ref buffer, out var frame))
                {
                    if (frame.Length != (received % 2 == 1 ? LargeSize : Size))
                    {
                        throw new InvalidOperationException("a frame of the wrong length arrived");   // no Assert per frame: it allocates
                    }

                    received++;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    throw new InvalidOperationException("the link ended");
                }
            }
        }
    }
}
