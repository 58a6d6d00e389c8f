using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Bench.Cli;

/// <summary>--help of udp-over-tcp-bench; the option lines come from the parser's own table.</summary>
public static class BenchHelp
{
    public static string Text() => $"""
        udp-over-tcp-bench {BuildVersion.Value} - plain UDP and two udp-over-tcp tunnel ends, side by side: lossless rate, loss, latency, CPU

        Usage:
          udp-over-tcp-bench [options]
          udp-over-tcp-bench --link RATE [options]
          udp-over-tcp bench [options]      the same, run through the tunnel binary

        For each size, finds the lossless rate (the highest offered rate with under 0.1 % loss) of plain
        UDP over loopback (the ceiling of the bench's own generator and sink) and of the same traffic
        through two tunnel processes (the udp-over-tcp binary beside this program, or --tunnel PATH,
        started on ephemeral loopback ports and stopped at the end), with short trials: doubling the
        rate, then bisecting; a rate fails only if two trials in a row at it do. Datagrams carry sequence
        numbers, so reordered, corrupted and duplicated ones are counted. Then 64 B ping-pong latency of
        both paths. On Linux the report gives the steal time of the run: CPU time a virtual machine's
        hypervisor gave to other guests, which loses datagrams on any path and makes figures vary from
        run to run.

        Options:
        {OptionParser.FormatHelp(BenchOptions.Table)}
        --external: measure tunnels you started. The bench binds RECV_ADDR and is the app at both ends:
        it sends to SEND_ADDR (the near end's --udp-bind, on loopback) from RECV_ADDR, and both ends'
        --udp-sendto must point at RECV_ADDR, so the far end delivers there and the ping-pong's answers
        come back through the near end. On one host (the TCP path may be anything, e.g. an ssh -L forward):
          udp-over-tcp -l 127.0.0.1:7878 -u 127.0.0.1:7001 -p 127.0.0.1:7000       # far end
          udp-over-tcp -t 127.0.0.1:7878 -u 127.0.0.1:7002 -p 127.0.0.1:7000       # near end
          udp-over-tcp-bench --external 127.0.0.1:7002 127.0.0.1:7000
        Across hosts (the bench on X, the far end on Y), the far end delivers back to X over the network:
          Y $ udp-over-tcp -l 7878 -u 7001 -p X:7000
          X $ udp-over-tcp -t Y:7878 -u 127.0.0.1:7002 -p 127.0.0.1:7000
          X $ udp-over-tcp-bench --external 127.0.0.1:7002 0.0.0.0:7000
        The figures then include that last plain UDP hop from Y to X. The tunnels' CPU time is not
        measured with --external (they are not the bench's children).

        --link RATE (Linux, as root): a slow link instead of loopback. The bench builds two
        network namespaces X and Y joined by a veth pair (198.18.0.1/30 and 198.18.0.2/30), shapes both
        directions with tbf rate RATE burst 64kb latency 20ms, and sends a paced flow of --size B datagrams
        (default 1200), each stamped with its send time, from an app in X to an app in Y at 0.8, 1.2 and 2
        times RATE (--loads to choose): over plain UDP, and through a tunnel connect end in X and listen
        end in Y (trials interleaved, --duration each, default 10 s). It reports goodput, loss and one-way
        delay p50/p99/max side by side. The namespaces are held only by the bench's own file descriptors,
        so they, the veth pairs and the tunnel ends in them vanish when it ends, even when it is killed.
        --delay and --loss (needs ethtool): a long or lossy path. A third namespace M sits between X and Y
        (veth vx-mx and my-vy, offloads off, X and Y on one Ethernet segment); the bench's own threads
        carry every frame across it through packet sockets, holding it for the delay and dropping it with
        the loss probability (seeded, --seed; the report gives the seed), each direction on its own.
        --workload mixed: a 100 B flow at 50/s beside the bulk flow (at 0.5, 1.2, 2 times RATE), from one
        socket, through one tunnel pair; each flow reported on its own, with p95. --workload bursts: 1 s on
        at 0.7 times RATE, 2 s silent, for --duration (default 30 s), then steady flows at 0.2 and 0.5 times.
        For example:
          udp-over-tcp-bench --link 20mbit
          udp-over-tcp-bench --link 20mbit --tunnel-args "--queue-delay 0"
          udp-over-tcp-bench --link 20mbit --delay 25ms --loss 0.5% --workload bursts

        --clients N (loopback): many clients through one server, after the single client. The bench starts
        one more listen end with --multi-client --max-clients N (and your --tunnel-args) and N connect
        ends, each a client with a UDP entry of its own; the generator sends each batch to the next client
        in turn, spreading the offered rate over them, and the listen end delivers each client's
        datagrams from that client's own UDP port to the bench. Each client's datagrams are a sequence of
        their own, so loss, reordering, corruption and duplication are counted per client and summed. Per
        size it reports the aggregate lossless rate of the N clients next to the single client's, and the
        CPU time of all N + 1 tunnel processes per million datagrams. No latency ping-pong with --clients.
        Not with --link or --external. For example:
          udp-over-tcp-bench --clients 100 --size 64

        --tls: the tunnels the bench starts (on loopback, with --link and with --clients) speak TLS 1.3 and
        the HTTP Upgrade, as a deployment over the internet does. The bench makes a self-signed ECDSA P-256
        certificate for 127.0.0.1, ::1 and localhost, valid a day, with openssl req, in a temp directory of
        its own (mode 0700, deleted when it ends; -v says where), and starts the listen end with
        --tls-cert, --tls-key and --http-upgrade /bench, the connect end with
        --tcp-connect https://HOST:PORT/bench --tls-pin sha256:HEX (the certificate's hash). The report
        says "over TLS 1.3 (--tls)" ("tls": true). Not with --external. For example:
          udp-over-tcp-bench --size 1200 --tls

        The tunnels the bench starts stop when it ends. On Linux also when it is killed: they are started
        through setpriv --pdeathsig TERM (util-linux), so the kernel stops them when the bench goes.
        Elsewhere, a killed bench leaves them running.

        Exit codes: 0 done (or interrupted), 1 the bench could not run (e.g. a tunnel did not start), 2 usage error.

        """;
}
