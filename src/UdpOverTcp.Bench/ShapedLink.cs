using System.Globalization;
using System.Net;

namespace UdpOverTcp.Bench;

/// <summary>
/// The slow link, built by the bench: two network namespaces X and Y
/// (<see cref="LinkNamespace"/>), joined by a veth pair vx (in X, 198.18.0.1/30) and vy (in Y,
/// 198.18.0.2/30), with X's side shaped by <c>tbf rate RATE burst 64kb latency 20ms</c>, the
/// reverse direction unshaped. Only the benchmarking range 198.18.0.0/15, only inside the two
/// namespaces: nothing of the machine's own network is touched. Disposing it closes the namespaces'
/// descriptors; the kernel frees them, and the veth pair, once nothing is left in them (see
/// <see cref="LinkNamespace"/> for why that is also so when the bench is killed).
/// </summary>
internal sealed class ShapedLink : IDisposable
{
    public static readonly IPAddress SenderAddress = IPAddress.Parse("198.18.0.1");
    public static readonly IPAddress ReceiverAddress = IPAddress.Parse("198.18.0.2");
    private const int PrefixLength = 30;

    /// <summary>The tbf parameters besides the rate (as in the README's latency-under-load figures): 64 KiB of bucket, 20 ms of queue at the rate (plus the bucket).</summary>
    private const string TbfShape = "burst 64kb latency 20ms";

    private ShapedLink(LinkNamespace x, LinkNamespace y, LinkRate rate, string qdiscShown, string congestionControl)
    {
        X = x;
        Y = y;
        Rate = rate;
        QdiscShown = qdiscShown;
        CongestionControl = congestionControl;
    }

    /// <summary>The sending host: its side of the veth is shaped.</summary>
    public LinkNamespace X { get; }

    /// <summary>The receiving host.</summary>
    public LinkNamespace Y { get; }

    public LinkRate Rate { get; }

    /// <summary>The qdisc as the bench asked for it: "tbf rate 20mbit burst 64kb latency 20ms".</summary>
    public string Qdisc => $"tbf rate {Rate.Text} {TbfShape}";

    /// <summary>The qdisc as tc reads it back: "tbf 8001: root refcnt 2 rate 20Mbit burst 64Kb lat 20ms".</summary>
    public string QdiscShown { get; }

    /// <summary>TCP congestion control in effect in X (net.ipv4.tcp_congestion_control there: the tunnel's TCP sender's).</summary>
    public string CongestionControl { get; }

    public static ShapedLink Create(LinkRate rate, LinkTools tools)
    {
        var x = LinkNamespace.Create("X", tools.Nsenter, tools.Ip);
        LinkNamespace? y = null;
        try
        {
            y = LinkNamespace.Create("Y", tools.Nsenter, tools.Ip);
            string prefix = PrefixLength.ToString(CultureInfo.InvariantCulture);
            x.Run(tools.Nsenter, tools.Ip, "link", "add", "name", "vx", "type", "veth", "peer", "name", "vy", "netns", y.Path);
            // Whose they are, for anyone who lists the interfaces (ip link) while the bench runs, and for its tests.
            string alias = $"udp-over-tcp-bench {Environment.ProcessId}";
            x.Run(tools.Nsenter, tools.Ip, "link", "set", "vx", "alias", alias);
            y.Run(tools.Nsenter, tools.Ip, "link", "set", "vy", "alias", alias);
            x.Run(tools.Nsenter, tools.Ip, "address", "add", $"{SenderAddress}/{prefix}", "dev", "vx");
            y.Run(tools.Nsenter, tools.Ip, "address", "add", $"{ReceiverAddress}/{prefix}", "dev", "vy");
            x.Run(tools.Nsenter, tools.Tc, ["qdisc", "add", "dev", "vx", "root", .. $"tbf rate {rate.Text} {TbfShape}".Split(' ')]);
            x.Run(tools.Nsenter, tools.Ip, "link", "set", "vx", "up");
            y.Run(tools.Nsenter, tools.Ip, "link", "set", "vy", "up");
            string shown = x.Run(tools.Nsenter, tools.Tc, "qdisc", "show", "dev", "vx").Trim();
            string congestion = x.Enter(() => SystemFile.TryRead("/proc/sys/net/ipv4/tcp_congestion_control")?.Trim() ?? "unknown");
            return new ShapedLink(x, y, rate, shown.StartsWith("qdisc ", StringComparison.Ordinal) ? shown["qdisc ".Length..] : shown, congestion);
        }
        catch
        {
            y?.Dispose();
            x.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}
