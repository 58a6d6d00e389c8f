using System.Reflection;
using UdpOverTcp.Bench;
using UdpOverTcp.Cli;

namespace UdpOverTcp;

/// <summary>--help and --version texts; the option lines come from the parser's own tables.</summary>
public static class HelpText
{
    public static string Version { get; } =
        typeof(HelpText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string Tunnel() => $"""
        udp-over-tcp {Version} - carry UDP datagrams over a TCP connection, ports bonded

        Usage:
          udp-over-tcp (--tcp-listen ADDR | --tcp-connect ADDR) --udp-bind ADDR --udp-sendto ADDR [options]
          udp-over-tcp bench [options]      measure throughput through two tunnel ends on loopback

        ADDR is PORT, IPv4:PORT or [IPv6]:PORT. Datagrams received on --udp-bind go over TCP; datagrams
        from TCP are sent to --udp-sendto from the --udp-bind socket, so replies come from the port the
        app sent to.

        Options:
        {OptionParser.FormatHelp(TunnelOptions.Table)}
        Example (app on X bound to port A talks to app on Y bound to port B, over ssh -L 7878):
          Y $ udp-over-tcp --tcp-listen 7878  --udp-bind A --udp-sendto B
          X $ udp-over-tcp --tcp-connect 7878 --udp-bind B --udp-sendto A
          The app on X sends to 127.0.0.1:B; the app on Y sends to 127.0.0.1:A.

        Exit codes: 0 stopped by Ctrl+C/SIGTERM, 1 could not start (e.g. port in use), 2 usage error.

        """;

    public static string Bench() => $"""
        udp-over-tcp bench - push datagrams through two tunnel ends on loopback and report throughput

        Usage:
          udp-over-tcp bench [options]

        Options:
        {OptionParser.FormatHelp(BenchOptions.Table)}
        """;
}
