using System.Globalization;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// What --link needs, checked before anything is built, so that a missing piece is one line that
/// says what is needed: Linux; CAP_SYS_ADMIN (to make network namespaces) and CAP_NET_ADMIN (to
/// configure them), which root has; ip and tc (iproute2); nsenter and setpriv (util-linux: setpriv
/// gives the tunnel ends their parent-death signal, without which a killed bench would leave them,
/// and with them its namespaces); with a delay line (--delay, --loss), ethtool, to turn the veth
/// offloads off.
/// </summary>
/// <param name="Ip">Full paths of the programs.</param>
/// <param name="Ethtool">Null unless asked for.</param>
public sealed record LinkTools(string Ip, string Tc, string Nsenter, string? Ethtool = null)
{
    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;

    /// <summary>Returns the tools; throws <see cref="BenchException"/> saying what is missing.</summary>
    public static LinkTools Find(bool delayLine = false)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BenchException("--link needs Linux: it builds network namespaces, a veth pair and a tc qdisc");
        }

        var missingCapabilities = new List<string>();
        ulong effective = EffectiveCapabilities();
        if ((effective & (1UL << CapSysAdmin)) == 0)
        {
            missingCapabilities.Add("CAP_SYS_ADMIN");
        }

        if ((effective & (1UL << CapNetAdmin)) == 0)
        {
            missingCapabilities.Add("CAP_NET_ADMIN");
        }

        if (missingCapabilities.Count > 0)
        {
            throw new BenchException($"--link needs root (CAP_SYS_ADMIN to make network namespaces, CAP_NET_ADMIN to configure them; this process lacks {string.Join(" and ", missingCapabilities)}): run it with sudo");
        }

        string? ip = HostCommand.Find("ip");
        string? tc = HostCommand.Find("tc");
        string? nsenter = HostCommand.Find("nsenter");
        string? setpriv = HostCommand.Find("setpriv");
        var missing = new[] { ("ip", ip), ("tc", tc), ("nsenter", nsenter), ("setpriv", setpriv) }.Where(t => t.Item2 is null).Select(t => t.Item1).ToList();
        if (missing.Count > 0)
        {
            throw new BenchException($"--link needs ip and tc (iproute2), nsenter and setpriv (util-linux) on PATH; missing: {string.Join(", ", missing)}");
        }

        string? ethtool = delayLine ? HostCommand.Find("ethtool") : null;
        if (delayLine && ethtool is null)
        {
            throw new BenchException("--delay and --loss need ethtool on PATH (Debian package ethtool), to turn the veth offloads off");
        }

        return new LinkTools(ip!, tc!, nsenter!, ethtool);
    }

    /// <summary>CapEff from /proc/self/status: the capabilities this process has now, as bits.</summary>
    private static ulong EffectiveCapabilities()
    {
        foreach (string line in (SystemFile.TryRead("/proc/self/status") ?? "").Split('\n'))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong bits))
            {
                return bits;
            }
        }

        return 0;
    }
}
