using System.Globalization;
using System.Net;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// The slow link, built by the bench: two network namespaces X and Y
/// (<see cref="LinkNamespace"/>), X's veth vx at 198.18.0.1/30 and Y's vy at 198.18.0.2/30, each
/// shaped on its way out by <c>tbf rate RATE burst 64kb latency 20ms</c> (both directions). Without a
/// delay line vx and vy are one veth pair. With one (--delay, --loss) they are two, vx-mx and my-vy,
/// mx and my in a third namespace M where the bench's <see cref="DelayLine"/> carries frames between
/// them: X and Y still share one Ethernet segment, with the delay and loss in its middle. Offloads are
/// off on all four ends then (ethtool -K): the line forwards frames as they are, so they must be at
/// most the MTU and carry whole checksums. Only the benchmarking range 198.18.0.0/15, only inside
/// the namespaces: nothing of the machine's own network is touched. Disposing it stops the delay line
/// and closes the namespaces' descriptors; the kernel frees them, and the veth pairs, once nothing is
/// left in them (see <see cref="LinkNamespace"/> for why that is also so when the bench is killed).
/// </summary>
public sealed class ShapedLink : IDisposable
{
    public static readonly IPAddress SenderAddress = IPAddress.Parse("198.18.0.1");
    public static readonly IPAddress ReceiverAddress = IPAddress.Parse("198.18.0.2");
    private const int PrefixLength = 30;

    /// <summary>The tbf parameters besides the rate (as in docs/performance.md's latency-under-load figures): 64 KiB of bucket, 20 ms of queue at the rate (plus the bucket).</summary>
    private const string TbfShape = "burst 64kb latency 20ms";

    /// <summary>The offloads a forwarded frame must not depend on: segmentation (frames over the MTU) and checksums left to hardware.</summary>
    private static readonly string[] Offloads = ["tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off"];

    private ShapedLink(LinkNamespace x, LinkNamespace y, LinkNamespace? middle, DelayLine? line, LinkRate rate, string qdiscShown, string congestionControl)
    {
        X = x;
        Y = y;
        Middle = middle;
        Line = line;
        Rate = rate;
        QdiscShown = qdiscShown;
        CongestionControl = congestionControl;
    }

    /// <summary>The sending host: its side of the veth is shaped.</summary>
    public LinkNamespace X { get; }

    /// <summary>The receiving host.</summary>
    public LinkNamespace Y { get; }

    /// <summary>The namespace between them, where the delay line runs; null without one.</summary>
    public LinkNamespace? Middle { get; }

    /// <summary>The delay line between X and Y; null without --delay and --loss.</summary>
    public DelayLine? Line { get; }

    public LinkRate Rate { get; }

    /// <summary>The qdisc as the bench asked for it: "tbf rate 20mbit burst 64kb latency 20ms".</summary>
    public string Qdisc => $"tbf rate {Rate.Text} {TbfShape}";

    /// <summary>The qdisc as tc reads it back: "tbf 8001: root refcnt 2 rate 20Mbit burst 64Kb lat 20ms".</summary>
    public string QdiscShown { get; }

    /// <summary>TCP congestion control in effect in X (net.ipv4.tcp_congestion_control there: the tunnel's TCP sender's).</summary>
    public string CongestionControl { get; }

    public static ShapedLink Create(LinkRate rate, LinkTools tools, DelayLineSettings? line = null)
    {
        var x = LinkNamespace.Create("X", tools.Nsenter, tools.Ip);
        LinkNamespace? y = null;
        LinkNamespace? m = null;
        DelayLine? delayLine = null;
        try
        {
            y = LinkNamespace.Create("Y", tools.Nsenter, tools.Ip);
            // Whose they are, for anyone who lists the interfaces (ip link) while the bench runs, and for its tests.
            string alias = $"udp-over-tcp-bench {Environment.ProcessId}";
            if (line is null)
            {
                x.Run(tools.Nsenter, tools.Ip, "link", "add", "name", "vx", "type", "veth", "peer", "name", "vy", "netns", y.Path);
            }
            else
            {
                m = LinkNamespace.Create("M", tools.Nsenter, tools.Ip);
                x.Run(tools.Nsenter, tools.Ip, "link", "add", "name", "vx", "type", "veth", "peer", "name", "mx", "netns", m.Path);
                y.Run(tools.Nsenter, tools.Ip, "link", "add", "name", "vy", "type", "veth", "peer", "name", "my", "netns", m.Path);
                foreach (string end in new[] { "mx", "my" })
                {
                    m.Run(tools.Nsenter, tools.Ip, "link", "set", end, "alias", alias);
                    m.Run(tools.Nsenter, tools.Ethtool!, ["-K", end, .. Offloads]);
                    m.Run(tools.Nsenter, tools.Ip, "link", "set", end, "up");
                }

                x.Run(tools.Nsenter, tools.Ethtool!, ["-K", "vx", .. Offloads]);
                y.Run(tools.Nsenter, tools.Ethtool!, ["-K", "vy", .. Offloads]);
            }

            Configure(x, "vx", SenderAddress, rate, alias, tools);
            Configure(y, "vy", ReceiverAddress, rate, alias, tools);
            if (line is { } settings)
            {
                delayLine = DelayLine.Start(m!, "mx", "my", settings, rate.BitsPerSecond);
            }

            string shown = x.Run(tools.Nsenter, tools.Tc, "qdisc", "show", "dev", "vx").Trim();
            string congestion = x.Enter(() => SystemFile.TryRead("/proc/sys/net/ipv4/tcp_congestion_control")?.Trim() ?? "unknown");
            return new ShapedLink(x, y, m, delayLine, rate, shown.StartsWith("qdisc ", StringComparison.Ordinal) ? shown["qdisc ".Length..] : shown, congestion);
        }
        catch
        {
            delayLine?.Dispose();
            m?.Dispose();
            y?.Dispose();
            x.Dispose();
            throw;
        }
    }

    /// <summary>One host's end of the link: its alias, address and tbf on the way out, then up.</summary>
    private static void Configure(LinkNamespace host, string device, System.Net.IPAddress address, LinkRate rate, string alias, LinkTools tools)
    {
        host.Run(tools.Nsenter, tools.Ip, "link", "set", device, "alias", alias);
        host.Run(tools.Nsenter, tools.Ip, "address", "add", $"{address}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", device);
        host.Run(tools.Nsenter, tools.Tc, ["qdisc", "add", "dev", device, "root", .. $"tbf rate {rate.Text} {TbfShape}".Split(' ')]);
        host.Run(tools.Nsenter, tools.Ip, "link", "set", device, "up");
    }

    public void Dispose()
    {
        Line?.Dispose();
        Middle?.Dispose();
        X.Dispose();
        Y.Dispose();
    }
}
