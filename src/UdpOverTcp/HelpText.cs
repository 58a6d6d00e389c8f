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
          udp-over-tcp bench [options]      lossless rate and latency: plain UDP vs two tunnel ends on loopback

        ADDR is PORT, IPv4:PORT or [IPv6]:PORT. Datagrams received on --udp-bind go over TCP; datagrams
        from TCP are sent to --udp-sendto from the --udp-bind socket, so replies come from the port the
        app sent to.

        {OptionParser.FormatHelp(TunnelOptions.Table)}
        Environment:
          UDP_OVER_TCP_SECRET   the secret, instead of --secret-file
          UDP_OVER_TCP_IO       UDP data path: auto (default), batched (Linux recvmmsg/sendmmsg) or portable

        Examples:
          App on X bound to port A talks to app on Y bound to port B, over `ssh -L 7878:127.0.0.1:7878 Y`:
            Y $ udp-over-tcp --tcp-listen 7878  --udp-bind A --udp-sendto B
            X $ udp-over-tcp --tcp-connect 7878 --udp-bind B --udp-sendto A
          The app on X sends to 127.0.0.1:B; the app on Y sends to 127.0.0.1:A.

          WireGuard listening on 51820 on both hosts, each peer's Endpoint = 127.0.0.1:51821; Y reachable
          on TCP 443 over IPv4 and IPv6, links authenticated, a statistics line each minute:
            Y $ udp-over-tcp -l 0.0.0.0:443 -l [::]:443 -u 127.0.0.1:51821 -p 127.0.0.1:51820 --secret-file /etc/uot.key --stats 60
            X $ udp-over-tcp -t 203.0.113.7:443 -u 127.0.0.1:51821 -p 127.0.0.1:51820 --secret-file /etc/uot.key

        Signals: SIGINT, SIGTERM and SIGHUP stop cleanly; SIGUSR1 prints the statistics line.
        Exit codes: 0 stopped by a signal, 1 could not start (e.g. port in use, unreadable secret), 2 usage error.

        """;

    public static string Bench() => $"""
        udp-over-tcp bench - plain UDP and two tunnel ends, side by side: lossless rate, loss, latency, CPU

        Usage:
          udp-over-tcp bench [options]

        For each size, finds the lossless rate (the highest offered rate with under 0.1 % loss) of plain
        UDP over loopback (the ceiling of the bench's own generator and sink) and of the same traffic
        through two tunnel processes (this binary, started on ephemeral loopback ports and stopped at the
        end), with short trials: doubling the rate, then bisecting; a rate fails only if two trials in a
        row at it do. Datagrams carry sequence numbers, so reordered, corrupted and duplicated ones are
        counted. Then 64 B ping-pong latency of both paths. On Linux the report gives the steal time of
        the run: CPU time a virtual machine's hypervisor gave to other guests, which loses datagrams on
        any path and makes figures vary from run to run.

        Options:
        {OptionParser.FormatHelp(BenchOptions.Table)}
        --external: measure tunnels you started. The bench binds RECV_ADDR and is the app at both ends:
        it sends to SEND_ADDR (the near end's --udp-bind, on loopback) from RECV_ADDR, and both ends'
        --udp-sendto must point at RECV_ADDR, so the far end delivers there and the ping-pong's answers
        come back through the near end. On one host (the TCP path may be anything, e.g. an ssh -L forward):
          udp-over-tcp -l 127.0.0.1:7878 -u 127.0.0.1:7001 -p 127.0.0.1:7000       # far end
          udp-over-tcp -t 127.0.0.1:7878 -u 127.0.0.1:7002 -p 127.0.0.1:7000       # near end
          udp-over-tcp bench --external 127.0.0.1:7002 127.0.0.1:7000
        Across hosts (the bench on X, the far end on Y), the far end delivers back to X over the network:
          Y $ udp-over-tcp -l 7878 -u 7001 -p X:7000
          X $ udp-over-tcp -t Y:7878 -u 127.0.0.1:7002 -p 127.0.0.1:7000
          X $ udp-over-tcp bench --external 127.0.0.1:7002 0.0.0.0:7000
        The figures then include that last plain UDP hop from Y to X. The tunnels' CPU time is not
        measured with --external (they are not the bench's children), nor on macOS. On Windows the
        bench cannot start the tunnels: start both ends yourself and use --external.

        Exit codes: 0 done (or interrupted), 1 the bench could not run (e.g. a tunnel did not start), 2 usage error.

        """;
}
