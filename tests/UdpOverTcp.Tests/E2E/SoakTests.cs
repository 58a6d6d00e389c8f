using UdpOverTcp.Tests.Support;
using Xunit.Abstractions;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// A million sequence-numbered datagrams each way, at the same time, through the two published
/// tunnel processes: every one must arrive, whole, once, in order, from the bonded port. A window of
/// datagrams in flight keeps the apps' own socket buffers from overflowing, so nothing may be lost.
/// </summary>
[SoakTest]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const long Count = 1_000_000;
    private const int Window = 64;

    [Fact]
    public async Task A_million_datagrams_each_way_all_arrive_intact_and_in_order()
    {
        await using var setup = await ReadmeTunnels.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var xToY = SequencedTraffic.Windowed(setup.AppX, setup.XEntry, setup.AppY, setup.YEntry, Count, Window);
        using var yToX = SequencedTraffic.Windowed(setup.AppY, setup.YEntry, setup.AppX, setup.XEntry, Count, Window);

        // Generous: a healthy run takes well under a minute even on a loaded 2-core CI machine.
        var done = Task.WhenAll(xToY.CompletedAsync(), yToX.CompletedAsync());
        if (await Task.WhenAny(done, Task.Delay(TimeSpan.FromMinutes(5))) != done)
        {
            Assert.Fail($"stalled: x->y at {xToY.LastReceived + 1} of {Count}, y->x at {yToX.LastReceived + 1} of {Count} (a lost datagram stalls its window)");
        }

        xToY.Stop();
        yToX.Stop();
        foreach (var (name, stream) in new[] { ("x->y", xToY), ("y->x", yToX) })
        {
            output.WriteLine($"{name}: sent {stream.Sent}, received {stream.Received}, corrupted {stream.Corrupted}, out of order {stream.OutOfOrder}, wrong source {stream.WrongSource}");
            Assert.Equal(Count, stream.Received);
            Assert.Equal(0, stream.Corrupted);
            Assert.Equal(0, stream.OutOfOrder);
            Assert.Equal(0, stream.WrongSource);
        }

        output.WriteLine($"{2 * Count} datagrams checked in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
