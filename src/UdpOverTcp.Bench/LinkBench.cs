using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench;

/// <summary>
/// udp-over-tcp-bench --link RATE (latency under load): builds the slow link
/// (<see cref="ShapedLink"/>), then offers a paced flow of stamped datagrams from an app in X to an
/// app in Y at 0.8, 1.2 and 2 times RATE, over plain UDP across the link and through two tunnel ends
/// (the connect end in X, the listen end in Y, their TCP across the link), and reports goodput, loss
/// and one-way delay side by side. The trials are interleaved (at each load plain UDP, then the
/// tunnel), so a machine that gets busier during the run weighs on both alike.
/// </summary>
internal static class LinkBench
{
    /// <summary>The offered rates, as multiples of the link's rate: under it, a little over it, twice it.</summary>
    public static readonly IReadOnlyList<double> Loads = [0.8, 1.2, 2.0];

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StatisticsTimeout = TimeSpan.FromSeconds(5);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    public static LinkReport Run(BenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var tools = LinkTools.Find();
        string program = SpawnedTunnels.Locate(options.TunnelPath);
        var rate = options.Link!.Value;
        int size = options.Sizes[0];
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        var machineAtStart = CpuSteal.Read();

        progress.Show($"bench: building the {rate.Text} link");
        using var link = ShapedLink.Create(rate, tools);
        BenchPath? plain = null;
        BenchPath? tunnel = null;
        Socket? tunnelSender = null;
        Socket? tunnelReceiver = null;
        SpawnedTunnels? spawned = null;
        try
        {
            // Plain UDP: from X's veth address to Y's. Through the tunnels: from X's loopback into the
            // connect end there, out of the listen end to Y's loopback.
            plain = PlainPath(link);
            tunnelSender = link.X.Enter(() => BenchPath.Bind(AnyLoopbackPort));
            tunnelReceiver = link.Y.Enter(() => BenchPath.Bind(AnyLoopbackPort));
            progress.Show("bench: starting the tunnel ends in X and Y");
            spawned = SpawnedTunnels.Start(
                program,
                new IPEndPoint(ShapedLink.ReceiverAddress, 0).ToString(),
                far: new TunnelEnd(link.Y, AnyLoopbackPort.ToString(), (IPEndPoint)tunnelReceiver.LocalEndPoint!),
                near: new TunnelEnd(link.X, AnyLoopbackPort.ToString(), (IPEndPoint)tunnelSender.LocalEndPoint!),
                tools.Nsenter,
                options.DataPath,
                options.TunnelArgs);
            tunnel = BenchPath.Between("tunnel", tunnelSender, spawned.Entry, tunnelReceiver, spawned.CpuTime);
            (tunnelSender, tunnelReceiver) = (null, null);   // the path's now
            if (options.Verbose)
            {
                progress.Clear();
                Console.Error.WriteLine($"bench: link ready: namespaces X {link.X.Id} and Y {link.Y.Id}, vx {ShapedLink.SenderAddress} -> vy {ShapedLink.ReceiverAddress}, {link.QdiscShown}; tunnel ends: listen pid {spawned.FarId} in Y, connect pid {spawned.NearId} in X");
            }

            progress.Show("bench: checking that both paths deliver");
            foreach (var path in new[] { plain, tunnel })
            {
                if (!LatencyProbe.WaitUntilDelivering(path, DeliveryTimeout))
                {
                    throw new BenchException($"nothing sent {path.Name} from X to Y arrived within {DeliveryTimeout.TotalSeconds:0} s");
                }
            }

            using var plainRunner = new TrialRunner(plain, size, TrialSettings.Link);
            using var tunnelRunner = new TrialRunner(tunnel, size, TrialSettings.Link);
            var statistics = Statistics(spawned);
            var loads = new List<LinkLoad>();
            foreach (double load in Loads)
            {
                double offered = load * rate.BitsPerSecond;
                double datagramsPerSecond = offered / (size * 8.0);
                var plainResult = Trial(plainRunner, plain.Name, load, datagramsPerSecond, duration, options.Verbose, progress, null, cancellationToken);
                var tunnelResult = Trial(tunnelRunner, tunnel.Name, load, datagramsPerSecond, duration, options.Verbose, progress, () =>
                {
                    var now = Statistics(spawned);
                    var drops = now is not null && statistics is not null ? now.Since(statistics) : null;
                    statistics = now;
                    return drops;
                }, cancellationToken);
                loads.Add(new LinkLoad(load, offered, plainResult.Result, tunnelResult.Result, tunnelResult.Drops));
            }

            return new LinkReport(
                HelpText.Version,
                Environment.ProcessorCount,
                BenchCommand.OperatingSystemName(),
                SystemFile.TryRead("/proc/sys/kernel/osrelease")?.Trim() ?? Environment.OSVersion.VersionString,
                System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
                rate,
                link.Qdisc,
                link.QdiscShown,
                link.CongestionControl,
                size,
                options.DurationSeconds,
                spawned.DataPath,
                string.Join(' ', options.TunnelArgs),
                loads,
                CpuTimes.StolenFraction(machineAtStart, CpuSteal.Read()));
        }
        finally
        {
            tunnel?.Dispose();
            tunnelSender?.Dispose();
            tunnelReceiver?.Dispose();
            plain?.Dispose();
            spawned?.Dispose();
        }
    }

    /// <summary>A sender on X's veth address and a receiver on Y's.</summary>
    private static BenchPath PlainPath(ShapedLink link)
    {
        var sender = link.X.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.SenderAddress, 0)));
        try
        {
            var receiver = link.Y.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.ReceiverAddress, 0)));
            return BenchPath.Between("plain UDP", sender, (IPEndPoint)receiver.LocalEndPoint!, receiver, tunnelCpu: null);
        }
        catch
        {
            sender.Dispose();
            throw;
        }
    }

    /// <summary>The near tunnel end's udp->tcp counters now; null if its line cannot be read (an older or a different tunnel).</summary>
    private static TunnelDrops? Statistics(SpawnedTunnels tunnels)
    {
        try
        {
            return TunnelDrops.Parse(tunnels.NearStatistics(StatisticsTimeout));
        }
        catch (BenchException)
        {
            return null;
        }
    }

    private static (TrialResult Result, TunnelDrops? Drops) Trial(
        TrialRunner runner, string name, double load, double datagramsPerSecond, TimeSpan duration, bool verbose,
        BenchProgress progress, Func<TunnelDrops?>? drops, CancellationToken cancellationToken)
    {
        progress.Show(Invariant($"bench: load {load:0.0#}x, {name}, {duration.TotalSeconds:0.#} s"));
        var result = runner.Run(datagramsPerSecond, duration, cancellationToken);
        var dropped = drops?.Invoke();
        if (verbose)
        {
            progress.Clear();
            string delay = result.Delay is { } d ? $"delay p50 {BenchTable.Milliseconds(d.P50)} p99 {BenchTable.Milliseconds(d.P99)} max {BenchTable.Milliseconds(d.Max)}" : "nothing delivered";
            string steal = result.StolenFraction is { } stolen ? Invariant($", steal {stolen * 100:0.0} %") : "";
            Console.Error.WriteLine(Invariant(
                $"bench: link trial, load {load:0.0#}x, {name}: offered {result.OfferedRate * result.Size * 8 / 1e6:0.00} Mbit/s, sent {result.SentRate * result.Size * 8 / 1e6:0.00}, goodput {result.GoodputBitsPerSecond / 1e6:0.00} Mbit/s, loss {result.LossFraction * 100:0.000} %, {delay}, reordered {result.Counts.Reordered} duplicated {result.Counts.Duplicated} corrupted {result.Counts.Corrupted}{(drops is null ? "" : $", tunnel drops: {BenchTable.TunnelDropsText(dropped)}")}{steal}"));
        }

        return (result, dropped);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
