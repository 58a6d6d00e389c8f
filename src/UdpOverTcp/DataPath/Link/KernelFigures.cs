using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// A link's TCP as the kernel sees it, for the statistics line and a link's leaving line:
/// "rtt 51.2 ms (min 50.1) cwnd 42 retrans 3 unsent 9.8 KB". Enough to tell a slow path (rtt), a lossy
/// one (retrans, a small cwnd) and a link that cannot keep up (unsent) apart. One getsockopt on the
/// caller's thread: nothing here touches the link's loops.
/// </summary>
public static class KernelFigures
{
    /// <summary>The figures of <paramref name="socket"/>'s connection; null where there are none (not Linux, or the socket is gone).</summary>
    public static string? Of(Socket socket) =>
        OperatingSystem.IsLinux() && TcpInfo.TryRead(socket, out var info) ? Format(info) : null;

    /// <summary>The figures after <paramref name="separator"/>, to end a line with; nothing when there are none.</summary>
    public static string Suffix(string? figures, string separator = "; ") => figures is null ? "" : separator + figures;

    [SupportedOSPlatform("linux")]
    public static string? Format(in TcpInfo info)
    {
        var sb = new StringBuilder();
        if (info.Rtt is uint rtt)
        {
            Part(sb, "rtt ").Append(Milliseconds(rtt)).Append(" ms");
            if (info.MinRtt is uint min)
            {
                sb.Append(" (min ").Append(Milliseconds(min)).Append(')');
            }
        }

        if (info.CongestionWindow is uint cwnd)
        {
            Part(sb, "cwnd ").Append(cwnd);
        }

        if (info.TotalRetrans is uint retrans)
        {
            Part(sb, "retrans ").Append(retrans);
        }

        if (info.NotSentBytes is uint unsent)
        {
            Part(sb, "unsent ").Append(Size(unsent));
        }

        return sb.Length > 0 ? sb.ToString() : null;
    }

    /// <summary>Starts the next figure, after a space unless it is the first.</summary>
    private static StringBuilder Part(StringBuilder sb, string name) => sb.Append(sb.Length > 0 ? " " : "").Append(name);

    /// <summary>µs as ms: two decimals below 1 ms (loopback, a LAN), where one would say 0.0.</summary>
    private static string Milliseconds(uint microseconds) =>
        (microseconds / 1000.0).ToString(microseconds < 1000 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Size(uint bytes) =>
        bytes < 1000 ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
        : bytes < 1_000_000 ? (bytes / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB"
        : (bytes / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
