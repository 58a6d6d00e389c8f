using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>--help and --version texts; the option lines come from the parser's own tables.</summary>
public static class HelpText
{
    /// <summary>
    /// &lt;Version&gt; of Directory.Build.props, written into the build by the project (BuildVersion.g.cs):
    /// reading AssemblyInformationalVersionAttribute at run time brought custom-attribute reflection into the binary.
    /// </summary>
    public static string Version => BuildVersion.Value;

    public static string Tunnel() => $"""
        udp-over-tcp {Version} - carry UDP datagrams over a TCP connection, ports bonded

        Usage:
          udp-over-tcp (--tcp-listen ADDR | --tcp-connect HOST [--proxy URL]) --udp-bind ADDR --udp-sendto HOST [options]
          udp-over-tcp bench [options]      runs udp-over-tcp-bench, beside this binary (see its --help)

        ADDR is PORT, IPv4:PORT or [IPv6]:PORT; a HOST may also be NAME:PORT. Datagrams received on
        --udp-bind go over TCP; datagrams from TCP are sent to --udp-sendto from the --udp-bind socket,
        so replies come from the port the app sent to.

        {OptionParser.FormatHelp(TunnelOptions.Table)}
        Environment:
          UDP_OVER_TCP_SECRET   the secret, instead of --secret-file
          UDP_OVER_TCP_IO       UDP data path: auto (default), batched (Linux recvmmsg/sendmmsg) or portable
          UDP_OVER_TCP_PROXY    the connect side's proxy URL, unless --proxy is given (keeps credentials out of
                                the process list); http_proxy, https_proxy and ALL_PROXY are not read
          NOTIFY_SOCKET         set by systemd (Type=notify): READY=1 once the sockets are bound, STOPPING=1 on a stop

        Examples:
          App on X bound to port A talks to app on Y bound to port B, over `ssh -L 7878:127.0.0.1:7878 Y`:
            Y $ udp-over-tcp --tcp-listen 7878  --udp-bind A --udp-sendto B
            X $ udp-over-tcp --tcp-connect 7878 --udp-bind B --udp-sendto A
          The app on X sends to 127.0.0.1:B; the app on Y sends to 127.0.0.1:A.

          WireGuard listening on 51820 on both hosts, each peer's Endpoint = 127.0.0.1:51821; Y reachable
          on TCP 443 over IPv4 and IPv6, links authenticated, a statistics line each minute:
            Y $ udp-over-tcp -l 0.0.0.0:443 -l [::]:443 -u 127.0.0.1:51821 -p 127.0.0.1:51820 --secret-file /etc/uot.key --stats 60
            X $ udp-over-tcp -t 203.0.113.7:443 -u 127.0.0.1:51821 -p 127.0.0.1:51820 --secret-file /etc/uot.key

          The same X behind an office proxy that allows CONNECT to port 443, Y known by a dynamic-DNS name:
            X $ UDP_OVER_TCP_PROXY=http://USER:PASSWORD@proxy.example:3128 \
                udp-over-tcp -t y.dyndns.example:443 -u 127.0.0.1:51821 -p 127.0.0.1:51820 --secret-file /etc/uot.key

        Signals: SIGINT, SIGTERM and SIGHUP stop cleanly; SIGUSR1 prints the statistics line.
        Exit codes: 0 stopped by a signal, 1 could not start (e.g. port in use, unreadable secret), 2 usage error.

        """;
}
