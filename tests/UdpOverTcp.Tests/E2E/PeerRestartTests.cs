using System.Diagnostics;
using UdpOverTcp.Tests.Support;
using Xunit.Abstractions;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// Kills one end or the other (SIGKILL, at a random moment) 100 times while datagrams stream both
/// ways, and restarts it. After each restart traffic must resume in both directions; across the
/// whole run no datagram may arrive corrupted, twice, out of order or from the wrong port. Datagrams
/// sent while an end is down are lost — UDP semantics — and only counted.
/// </summary>
[EndToEndTest]
public sealed class PeerRestartTests(ITestOutputHelper output)
{
    private const int Restarts = 100;

    [Fact]
    public async Task Hundred_random_restarts_under_load_never_corrupt_duplicate_or_reorder()
    {
        await using var setup = await ReadmeTunnels.StartAsync();
        var random = new Random(2026);
        using var xToY = SequencedTraffic.Paced(setup.AppX, setup.XEntry, setup.AppY, setup.YEntry, burst: 4);
        using var yToX = SequencedTraffic.Paced(setup.AppY, setup.YEntry, setup.AppX, setup.XEntry, burst: 4);
        await Task.WhenAll(xToY.ReachedAsync(100), yToX.ReachedAsync(100)).Within("traffic before the first fault");

        var resumeTimes = new List<double>();
        int listenRestarts = 0;
        for (int restart = 0; restart < Restarts; restart++)
        {
            // A random point in the stream: the fault lands mid-burst, mid-frame or between frames.
            await Task.Delay(random.Next(0, 40));
            var clock = Stopwatch.StartNew();
            if (random.Next(2) == 0)
            {
                await setup.RestartListenSideAsync();
                listenRestarts++;
            }
            else
            {
                await setup.RestartConnectSideAsync();
            }

            // Resumed: a datagram sent after the restart arrives, in each direction.
            long xMark = xToY.Sent, yMark = yToX.Sent;
            await Task.WhenAll(xToY.ReachedAsync(xMark), yToX.ReachedAsync(yMark)).Within($"traffic to resume after restart {restart + 1}");
            resumeTimes.Add(clock.Elapsed.TotalMilliseconds);
        }

        xToY.Stop();
        yToX.Stop();
        foreach (var (name, stream) in new[] { ("x->y", xToY), ("y->x", yToX) })
        {
            output.WriteLine($"{name}: sent {stream.Sent}, received {stream.Received}, lost {stream.Lost}, corrupted {stream.Corrupted}, out of order {stream.OutOfOrder}, wrong source {stream.WrongSource}");
            Assert.Equal(0, stream.Corrupted);
            Assert.Equal(0, stream.OutOfOrder);
            Assert.Equal(0, stream.WrongSource);
        }

        resumeTimes.Sort();
        output.WriteLine($"{Restarts} restarts ({listenRestarts} listen side, {Restarts - listenRestarts} connect side); " +
            $"kill to traffic resumed both ways: median {resumeTimes[Restarts / 2]:F0} ms, max {resumeTimes[^1]:F0} ms");
    }
}
