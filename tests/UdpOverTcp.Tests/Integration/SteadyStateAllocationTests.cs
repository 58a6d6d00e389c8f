using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Integration;

[CollectionDefinition(nameof(AllocationCounting), DisableParallelization = true)]
public sealed class AllocationCounting;

/// <summary>
/// Allocation counts are deterministic where times are not: after a warm-up, moving datagrams both
/// ways through a tunnel pair must allocate (almost) nothing. The counter is process-wide, so the test
/// runs alone, and it counts in four windows of 100,000 datagrams (50,000 each way) and judges the
/// quietest: one-off allocations that are not the tunnel's can land in any one window (the test host
/// serialising its messages with Newtonsoft.Json about a second in put 780 KB into one), but an
/// allocation per datagram or per batch is in every window. The bound leaves room for stray runtime
/// allocations (up to 22 KB per window seen): one allocation of even the smallest object (24 B) per
/// datagram would be 2.4 MB a window, and one per batch of 32 datagrams still 75 KB.
/// </summary>
[Collection(nameof(AllocationCounting))]
[InProcessTest]
public sealed class SteadyStateAllocationTests
{
    private const int Size = 64;

    /// <summary>Every other datagram of a mixed exchange: bulk, beside the small ones' own lane (--priority-size).</summary>
    private const int LargeSize = 1200;
    private const int Window = 32;
    private const int Windows = 4;
    private const int PerWindowEachWay = 50_000;

    [Theory]
    [InlineData(UdpDataPath.Portable, false)]
    [InlineData(UdpDataPath.Batched, false)]
    [InlineData(UdpDataPath.Portable, true)]
    [InlineData(UdpDataPath.Batched, true)]
    public async Task Forwarding_both_ways_allocates_nothing_per_datagram(UdpDataPath path, bool mixedSizes)
    {
        await using var pair = await TunnelPair.StartAsync(path: path);
        Exchange(pair, 50_000, mixedSizes: mixedSizes);   // fill the pools, reach steady state

        var allocated = new long[Windows];
        for (int i = 0; i < Windows; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            Exchange(pair, PerWindowEachWay, mixedSizes: mixedSizes);
            allocated[i] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        AssertQuiet($"{path}{(mixedSizes ? $", {Size} and {LargeSize} B (both lanes)" : "")}", allocated);
    }

    /// <summary>The listen end with --multi-client: the client's own UDP socket, its portable receive and its borrowed sendmmsg batches.</summary>
    [Fact]
    public async Task A_multi_client_server_forwarding_both_ways_allocates_nothing_per_datagram()
    {
        await using var pair = await TunnelPair.StartAsync(configure: o => o.Role == TcpRole.Listen ? o with { MultiClient = true } : o);
        // App Y answers the client's own port on the server, which the first datagram through it shows.
        // A blocking receive: one async call would leave the socket in the mode where every blocking
        // receive that waits allocates (the runtime's BufferPtrReceiveOperation and an event).
        pair.AppX.SendTo(pair.ConnectEntry, new byte[Size]);
        EndPoint clientPort = new IPEndPoint(IPAddress.Any, 0);
        pair.AppY.Socket.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
        pair.AppY.Socket.ReceiveFrom(new byte[Size], ref clientPort);
        Exchange(pair, 50_000, (IPEndPoint)clientPort);

        var allocated = new long[Windows];
        for (int i = 0; i < Windows; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            Exchange(pair, PerWindowEachWay, (IPEndPoint)clientPort);
            allocated[i] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        AssertQuiet("--multi-client", allocated);
    }

    internal static void AssertQuiet(string what, long[] allocated)
    {
        long quietest = allocated.Min();
        Assert.True(quietest < 48 * 1024,
            $"{what}: at least {quietest} bytes allocated per {2 * PerWindowEachWay:N0} datagrams ({quietest / (2.0 * PerWindowEachWay):F2} per datagram); windows: {string.Join(", ", allocated)}");
    }

    /// <summary>Both directions at once, each on its own thread, with allocation-free socket calls.</summary>
    internal static void Exchange(TunnelPair pair, int count, IPEndPoint? listenEntry = null, bool mixedSizes = false)
    {
        var xToY = new Thread(() => Pump(pair.AppX.Socket, pair.ConnectEntry, pair.AppY.Socket, count));
        var yToX = new Thread(() => Pump(pair.AppY.Socket, listenEntry ?? pair.ListenEntry, pair.AppX.Socket, count));
        Exception? failure = null;
        xToY.UnsafeStart();
        yToX.UnsafeStart();
        xToY.Join();
        yToX.Join();
        Assert.Null(failure);

        void Pump(Socket from, IPEndPoint entry, Socket to, int n)
        {
            try
            {
                var address = entry.Serialize();
                Span<byte> datagram = stackalloc byte[LargeSize];
                Span<byte> received = stackalloc byte[65536];
                to.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
                for (int sent = 0; sent < n; sent += Window)
                {
                    for (int i = 0; i < Window; i++)
                    {
                        from.SendTo(datagram[..(mixedSizes && i % 2 == 1 ? LargeSize : Size)], SocketFlags.None, address);
                    }

                    for (int i = 0; i < Window; i++)
                    {
                        int length = to.Receive(received);
                        if (length != Size && !(mixedSizes && length == LargeSize))
                        {
                            throw new InvalidOperationException("a datagram of the wrong size arrived");
                        }
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }
    }
}
