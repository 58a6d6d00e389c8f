using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>
/// The --link delay line (--delay, --loss), in process: X and Y bridged by the bench's own
/// packet-socket forwarder in a third namespace M. It must add the delay asked for, within a
/// millisecond, and drop at the rate asked for, within the binomial spread. Root only (CI runs as root).
/// </summary>
[EndToEndTest]
[NeedsRoot]
public class DelayLineTests
{
    /// <summary>Datagrams for the loss test: at 10 % the count lost has a standard deviation of 13.4.</summary>
    private const int LossDatagrams = 2000;

    [SkippableFact]
    public void A_10_ms_delay_each_way_makes_round_trips_of_20_ms_within_a_millisecond_or_two()
    {
        using var link = Build(delayMilliseconds: 10, loss: 0);
        using var x = link.X.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.SenderAddress, 0)));
        using var y = link.Y.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.ReceiverAddress, 0)));
        x.ReceiveTimeout = 2000;
        y.ReceiveTimeout = 2000;
        using var stop = new CancellationTokenSource();
        var echo = Task.Run(() => Echo(y, stop.Token));
        try
        {
            var buffer = new byte[64];
            Exchange(x, y.LocalEndPoint!, buffer);   // ARP resolves on the first one: not a sample
            var samples = new List<double>();
            for (int i = 0; i < 100; i++)
            {
                long sent = Stopwatch.GetTimestamp();
                Exchange(x, y.LocalEndPoint!, buffer);
                samples.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }

            samples.Sort();
            double p50 = samples[samples.Count / 2];
            Assert.InRange(p50, 20.0, 22.0);
            Assert.InRange(samples[0], 19.9, 22.0);        // never early: the line holds each frame the whole delay
            Assert.True(samples[^1] < 200, $"slowest round trip {samples[^1]:0.0} ms");   // a busy machine's hiccup, not a lost frame
        }
        finally
        {
            stop.Cancel();
            echo.Wait();
        }
    }

    [SkippableFact]
    public void A_10_percent_loss_drops_within_the_binomial_spread_and_says_so()
    {
        const double loss = 0.10;
        using var link = Build(delayMilliseconds: 0, loss);
        using var x = link.X.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.SenderAddress, 0)));
        using var y = link.Y.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.ReceiverAddress, 0)));
        y.ReceiveTimeout = 500;

        // ARP first: it crosses the lossy line too (and is retried), then the count starts.
        var probe = new byte[64];
        for (int i = 0; i < 50 && !Arrives(x, y, probe); i++)
        {
        }

        long droppedBefore = link.Line!.TowardsY.Dropped;
        for (int i = 0; i < LossDatagrams; i++)
        {
            x.SendTo(BitConverter.GetBytes(i), y.LocalEndPoint!);
            if (i % 20 == 19)
            {
                Thread.Sleep(1);   // paced: no queue anywhere is the loss
            }
        }

        var seen = new HashSet<int>();
        var buffer = new byte[64];
        try
        {
            while (true)
            {
                int n = y.Receive(buffer);
                int index = BitConverter.ToInt32(buffer, 0);
                if (n == 4 && index is >= 0 and < LossDatagrams)
                {
                    seen.Add(index);
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
        }

        int lost = LossDatagrams - seen.Count;
        double mean = LossDatagrams * loss;
        double sigma = Math.Sqrt(LossDatagrams * loss * (1 - loss));
        Assert.InRange(lost, mean - (4.5 * sigma), mean + (4.5 * sigma));
        // The line's own count agrees: every lost datagram is one it dropped (it may also have dropped an ARP or IPv6 frame).
        Assert.True(link.Line.TowardsY.Dropped - droppedBefore >= lost, $"lost {lost}, the line dropped {link.Line.TowardsY.Dropped - droppedBefore}");
        Assert.Equal(0, link.Line.TowardsY.Overflowed);
    }

    [SkippableFact]
    public void Without_delay_or_loss_there_is_no_middle_namespace_and_tbf_shapes_both_ways()
    {
        var tools = Tools();
        using var link = ShapedLink.Create(LinkRate.Parse("20mbit"), tools);
        Assert.Null(link.Middle);
        Assert.Null(link.Line);
        Assert.Contains("rate 20Mbit burst 64Kb lat 20ms", link.X.Run(tools.Nsenter, tools.Tc, "qdisc", "show", "dev", "vx"));
        Assert.Contains("rate 20Mbit burst 64Kb lat 20ms", link.Y.Run(tools.Nsenter, tools.Tc, "qdisc", "show", "dev", "vy"));
    }

    [SkippableFact]
    public void With_a_delay_line_the_four_veth_ends_have_their_offloads_off()
    {
        using var link = Build(delayMilliseconds: 1, loss: 0);
        var tools = Tools();
        foreach (var (host, device) in new[] { (link.X, "vx"), (link.Middle!, "mx"), (link.Middle!, "my"), (link.Y, "vy") })
        {
            string features = host.Run(tools.Nsenter, tools.Ethtool!, "-k", device);
            foreach (string feature in new[] { "tcp-segmentation-offload", "generic-segmentation-offload", "generic-receive-offload", "tx-checksumming", "rx-checksumming" })
            {
                Assert.Contains($"{feature}: off", features);
            }
        }

        Assert.Contains("rate 100Mbit", link.Y.Run(tools.Nsenter, tools.Tc, "qdisc", "show", "dev", "vy"));   // tbf on the way back too
    }

    private static ShapedLink Build(double delayMilliseconds, double loss) =>
        ShapedLink.Create(LinkRate.Parse("100mbit"), Tools(), new DelayLineSettings(delayMilliseconds, loss, Seed: 12345));

    private static LinkTools Tools()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "needs root on Linux to build network namespaces; .ci/run runs as root");
        return LinkTools.Find(delayLine: true);
    }

    private static void Exchange(Socket x, EndPoint y, byte[] buffer)
    {
        x.SendTo(buffer, y);
        x.Receive(buffer);
    }

    private static bool Arrives(Socket x, Socket y, byte[] buffer)
    {
        x.SendTo(buffer, y.LocalEndPoint!);
        try
        {
            y.Receive(buffer);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return false;
        }
    }

    /// <summary>Answers each datagram to its sender until cancelled.</summary>
    private static void Echo(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[2048];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n = socket.ReceiveFrom(buffer, ref from);
                socket.SendTo(buffer.AsSpan(0, n), from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
            }
        }
    }
}
