using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>
/// Many clients through one server (--clients N), as a team would run them: the udp-over-tcp binary
/// started once as the listen end with <c>--multi-client --max-clients N</c> and N times as a connect
/// end, all on ephemeral loopback ports, all delivering to the bench's app socket. Each connect end is
/// one client with a UDP entry of its own (read from its start-up line); the listen end gives each
/// client's link a UDP socket of its own, so the app sees each client's datagrams from its own port.
/// Started as <see cref="SpawnedTunnels"/> starts its two (<see cref="ChildTunnel"/>: stopped with the bench).
/// </summary>
public sealed class MultiClientTunnels : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How often a client whose probe has not come through yet is sent another.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Descriptors the bench holds per child (its stdout and stderr pipes, with room to spare), and for everything else.</summary>
    private const int DescriptorsPerChild = 4;
    private const int OtherDescriptors = 256;

    private readonly ChildTunnel _far;
    private readonly List<ChildTunnel> _near;

    private MultiClientTunnels(ChildTunnel far, List<ChildTunnel> near, IReadOnlyList<IPEndPoint> entries, string farCommand)
    {
        _far = far;
        _near = near;
        Entries = entries;
        FarCommand = farCommand;
    }

    /// <summary>Each client's UDP entry (its connect end's --udp-bind): where the generator sends that client's datagrams.</summary>
    public IReadOnlyList<IPEndPoint> Entries { get; }

    /// <summary>The listen end's arguments, as started (for the report): "udp-over-tcp -v -l ... --multi-client --max-clients N ...".</summary>
    public string FarCommand { get; }

    /// <summary>
    /// Starts the listen end and <paramref name="clients"/> connect ends delivering to <paramref name="app"/>
    /// (over TLS with <paramref name="tls"/>: <see cref="TunnelTlsArgs"/>), and waits until every client's link is up.
    /// </summary>
    public static MultiClientTunnels Start(string program, IPEndPoint app, int clients, UdpDataPath? dataPath, IReadOnlyList<string> extraArgs, ThrowawayCertificate? tls)
    {
        RaiseDescriptorLimit(clients);
        string loopback = app.AddressFamily == AddressFamily.InterNetworkV6 ? "[::1]:0" : "127.0.0.1:0";
        var environment = new Dictionary<string, string>();
        if (dataPath is { } path)
        {
            environment[UdpDataPathVariable.Name] = UdpDataPathVariable.ValueOf(path);
        }

        string[] farArgs = ["-v", "-l", loopback, "--multi-client", "--max-clients", clients.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", loopback, "-p", app.ToString(), .. TunnelTlsArgs.Listen(tls), .. extraArgs];
        var far = new ChildTunnel("listen", program, farArgs, environment);
        var near = new List<ChildTunnel>(clients);
        try
        {
            var (tcp, _) = SpawnedTunnels.ParseEndpoints(far.WaitForLine("listening on tcp ", StartTimeout));
            // -v on the connect ends too: their start-up and link lines are what the bench waits for.
            string[] nearArgs = ["-v", .. TunnelTlsArgs.Connect(tls, tcp), "-u", loopback, "-p", app.ToString(), .. extraArgs];
            for (int i = 0; i < clients; i++)
            {
                near.Add(new ChildTunnel($"connect #{i + 1}", program, nearArgs, environment));
            }

            var entries = new IPEndPoint[clients];
            for (int i = 0; i < clients; i++)
            {
                entries[i] = SpawnedTunnels.ParseUdpEntry(near[i].WaitForLine("connecting to tcp ", StartTimeout));
                near[i].WaitForLine("link up: connected", StartTimeout);
            }

            return new MultiClientTunnels(far, near, entries, $"{Path.GetFileName(program)} {string.Join(' ', farArgs)}");
        }
        catch
        {
            foreach (var child in near)
            {
                child.Dispose();
            }

            far.Dispose();
            throw;
        }
    }

    /// <summary>User + system time of the listen end alone so far: what the server costs; null where the OS does not tell.</summary>
    public TimeSpan? ServerCpuTime() => _far.CpuTime;

    /// <summary>User + system time of every tunnel process (the listen end and all connect ends) so far; null where the OS does not tell.</summary>
    public TimeSpan? CpuTime()
    {
        var total = _far.CpuTime;
        foreach (var child in _near)
        {
            total += child.CpuTime;
        }

        return total;
    }

    /// <summary>
    /// Sends a probe through each client (stream k of trial 0, which every trial sets aside as stale)
    /// until one of each has come out of the listen end, again every <see cref="ProbeInterval"/> for
    /// those still missing; throws when some have not within <paramref name="timeout"/>. Before the
    /// trials: the sink owns the socket then.
    /// </summary>
    public void WaitUntilEveryClientDelivers(Socket app, TimeSpan timeout)
    {
        var arrived = new bool[Entries.Count];
        int missing = Entries.Count;
        var probe = new byte[64];
        var buffer = new byte[Datagram.MaxSize];
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        int previousTimeout = app.ReceiveTimeout;
        app.ReceiveTimeout = (int)ProbeInterval.TotalMilliseconds;
        try
        {
            while (missing > 0)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new BenchException($"{missing} of {Entries.Count} clients delivered nothing through the listen end within {timeout.TotalSeconds:0} s");
                }

                for (int k = 0; k < Entries.Count; k++)
                {
                    if (!arrived[k])
                    {
                        SequencedPayload.Fill(probe, TrialSequence.Compose(0, TrialSequence.StreamIndex(k, 0)));
                        app.SendTo(probe, Entries[k]);
                    }
                }

                long resend = Stopwatch.GetTimestamp() + (long)(ProbeInterval.TotalSeconds * Stopwatch.Frequency);
                while (missing > 0 && Stopwatch.GetTimestamp() < resend)
                {
                    int length;
                    try
                    {
                        length = app.Receive(buffer);
                    }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionReset)
                    {
                        continue;
                    }

                    long sequence = SequencedPayload.Verify(buffer.AsSpan(0, length), probe.Length);
                    if (sequence >= 0 && TrialSequence.TrialOf(sequence) == 0)
                    {
                        int stream = TrialSequence.StreamOf(TrialSequence.IndexOf(sequence));
                        if (stream < arrived.Length && !arrived[stream])
                        {
                            arrived[stream] = true;
                            missing--;
                        }
                    }
                }
            }
        }
        finally
        {
            app.ReceiveTimeout = previousTimeout;
        }
    }

    public void Dispose()
    {
        foreach (var child in _near)
        {
            child.Dispose();
        }

        _far.Dispose();
    }

    /// <summary>
    /// Raises this process's descriptor soft limit towards what <paramref name="clients"/> children need,
    /// as far as the hard limit allows (the tunnel does the same for --max-clients); too few shows later
    /// as a child that cannot be started.
    /// </summary>
    private static void RaiseDescriptorLimit(int clients) =>
        DescriptorLimit.TryRaise((ulong)((clients * DescriptorsPerChild) + OtherDescriptors), out _, out _);
}
