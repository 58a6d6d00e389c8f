using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Report;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// udp-over-tcp-bench --link RATE (latency under load): builds the slow link
/// (<see cref="ShapedLink"/>, with --delay or --loss a delay line in its middle), then offers stamped
/// datagrams from an app in X to an app in Y (the --workload: <see cref="LinkWorkload"/>), over plain
/// UDP across the link and through two tunnel ends (the connect end in X, the listen end in Y, their
/// TCP across the link), and reports goodput, loss and one-way delay side by side. The trials are
/// interleaved (at each load plain UDP, then the tunnel), so a machine that gets busier during the
/// run weighs on both alike.
/// </summary>
public static class LinkBench
{
    /// <summary>The steady workload's offered rates, as multiples of the link's rate: under it, a little over it, twice it.</summary>
    public static readonly IReadOnlyList<double> Loads = [0.8, 1.2, 2.0];

    /// <summary>The mixed workload's bulk loads: well under the link, a little over it, twice it.</summary>
    public static readonly IReadOnlyList<double> MixedLoads = [0.5, 1.2, 2.0];

    /// <summary>The bursts workload's steady flows: a fifth and half of the link, for a whole --duration (BBR's PROBE_RTT comes about every 10 s).</summary>
    public static readonly IReadOnlyList<double> BurstsSteadyLoads = [0.2, 0.5];

    /// <summary>The bursts workload's on-phase load.</summary>
    public const double BurstLoad = 0.7;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StatisticsTimeout = TimeSpan.FromSeconds(5);
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    /// <param name="tls">--tls: the certificate the tunnel ends speak TLS with; null: plain TCP.</param>
    public static LinkReport Run(BenchOptions options, ThrowawayCertificate? tls, BenchProgress progress, CancellationToken cancellationToken)
    {
        var tools = LinkTools.Find(options.HasDelayLine);
        string program = SpawnedTunnels.Locate(options.TunnelPath);
        var rate = options.Link!.Value;
        int size = options.Sizes[0];
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        var machineAtStart = CpuSteal.Read();

        DelayLineSettings? line = options.HasDelayLine
            ? new DelayLineSettings(options.DelayMilliseconds, options.LossFraction, options.Seed ?? Environment.TickCount & int.MaxValue)
            : null;
        progress.Show($"bench: building the {rate.Text} link");
        using var link = ShapedLink.Create(rate, tools, line);
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
                options.TunnelArgs,
                tls);
            tunnel = BenchPath.Between("tunnel", tunnelSender, spawned.Entry, tunnelReceiver, spawned.CpuTime);
            (tunnelSender, tunnelReceiver) = (null, null);   // the path's now
            if (options.Verbose)
            {
                progress.Clear();
                string middle = link.Middle is { } m ? $", delay line in M {m.Id}: {link.Line!.Settings}" : "";
                Console.Error.WriteLine($"bench: link ready: namespaces X {link.X.Id} and Y {link.Y.Id}, vx {ShapedLink.SenderAddress} -> vy {ShapedLink.ReceiverAddress}, {link.QdiscShown}{middle}; tunnel ends: listen pid {spawned.FarId} in Y, connect pid {spawned.NearId} in X");
            }

            progress.Show("bench: checking that both paths deliver");
            foreach (var path in new[] { plain, tunnel })
            {
                if (!LatencyProbe.WaitUntilDelivering(path, DeliveryTimeout))
                {
                    throw new BenchException($"nothing sent {path.Name} from X to Y arrived within {DeliveryTimeout.TotalSeconds:0} s");
                }
            }

            var trials = new LinkTrials(plain, tunnel, () => Statistics(spawned), options.Verbose, progress, cancellationToken);
            var loads = Workload(options, trials, rate, size, duration);
            return new LinkReport(
                BuildVersion.Value,
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
                CpuTimes.StolenFraction(machineAtStart, CpuSteal.Read()),
                options.Workload,
                link.Line is { } delayLine
                    ? new LinkPath(delayLine.Settings.DelayMilliseconds, delayLine.Settings.Loss, delayLine.Settings.Seed, delayLine.TowardsY, delayLine.TowardsX)
                    : null,
                tls is not null);
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

    /// <summary>The rows of the workload asked for, each flow at each load, plain UDP then the tunnel.</summary>
    private static List<LinkLoad> Workload(BenchOptions options, LinkTrials trials, LinkRate rate, int size, TimeSpan duration)
    {
        double PerSecond(double load, int bytes) => load * rate.BitsPerSecond / (bytes * 8.0);
        var rows = new List<LinkLoad>();
        if (options.Workload == LinkWorkload.Bursts)
        {
            rows.AddRange(trials.Flows(BurstLoad, [Flow.Bursts(size, PerSecond(BurstLoad, size))], duration));
        }

        var loads = options.Loads ?? options.Workload switch
        {
            LinkWorkload.Mixed => MixedLoads,
            LinkWorkload.Bursts => BurstsSteadyLoads,
            _ => Loads,
        };
        foreach (double load in loads)
        {
            rows.AddRange(options.Workload == LinkWorkload.Mixed
                ? trials.Flows(load, [new Flow("bulk", size, PerSecond(load, size)), Flow.Small], duration)
                : [trials.Steady(load, load * rate.BitsPerSecond, size, PerSecond(load, size), duration)]);
        }

        return rows;
    }
}
