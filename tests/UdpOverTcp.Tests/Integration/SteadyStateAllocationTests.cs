using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Tests.Support;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Tests.Integration;

[CollectionDefinition(nameof(AllocationCounting), DisableParallelization = true)]
public sealed class AllocationCounting;

/// <summary>
/// Allocation counts are deterministic where times are not: after a warm-up, moving 200,000
/// datagrams each way through a tunnel pair must allocate (almost) nothing. The counter is
/// process-wide, so the test runs alone, and the bound leaves room for stray runtime allocations
/// (timers, other tests' processes winding down): one allocation of even the smallest object (24 B)
/// per datagram would be 9.6 MB, and per batch of up to 32 datagrams still over 300 KB.
/// </summary>
[Collection(nameof(AllocationCounting))]
public sealed class SteadyStateAllocationTests
{
    private const int Size = 64;
    private const int Window = 32;

    [Theory]
    [InlineData(UdpDataPath.Portable)]
    [InlineData(UdpDataPath.Batched)]
    public async Task Forwarding_both_ways_allocates_nothing_per_datagram(UdpDataPath path)
    {
        await using var pair = await TunnelPair.StartAsync(path: path);
        Exchange(pair, 50_000);   // fill the pools, reach steady state

        long before = GC.GetTotalAllocatedBytes(precise: true);
        Exchange(pair, 200_000);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < 256 * 1024, $"{path}: {allocated} bytes allocated while forwarding 400,000 datagrams ({allocated / 400_000.0:F2} per datagram)");
    }

    /// <summary>Both directions at once, each on its own thread, with allocation-free socket calls.</summary>
    private static void Exchange(TunnelPair pair, int count)
    {
        var xToY = new Thread(() => Pump(pair.AppX.Socket, pair.ConnectEntry, pair.AppY.Socket, count));
        var yToX = new Thread(() => Pump(pair.AppY.Socket, pair.ListenEntry, pair.AppX.Socket, count));
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
                Span<byte> datagram = stackalloc byte[Size];
                Span<byte> received = stackalloc byte[65536];
                to.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
                for (int sent = 0; sent < n; sent += Window)
                {
                    for (int i = 0; i < Window; i++)
                    {
                        from.SendTo(datagram, SocketFlags.None, address);
                    }

                    for (int i = 0; i < Window; i++)
                    {
                        if (to.Receive(received) != Size)
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
