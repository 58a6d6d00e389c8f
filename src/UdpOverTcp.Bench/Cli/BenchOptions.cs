using System.Globalization;
using System.Net;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Cli;

/// <summary>
/// Options of udp-over-tcp-bench: what each means, the table that parses them (and gives --help
/// its lines), and which go together. Each option's value is read by <see cref="BenchOptionValues"/>.
/// </summary>
public sealed class BenchOptions
{
    public const int MaxSize = 65507;

    /// <summary>Above any rate loopback UDP reaches today; keeps a typo from meaning "forever".</summary>
    public const long MaxRate = 10_000_000;

    public const double DefaultDurationSeconds = 0.5;

    /// <summary>With --link a trial is a steady flow, not a step of a search: long enough for queues to fill and for a p99.</summary>
    public const double DefaultLinkDurationSeconds = 10;

    /// <summary>With --link: the datagram size.</summary>
    public const int DefaultLinkSize = 1200;

    /// <summary>--clients: at least two (one is the normal tunnel path).</summary>
    public const int MinClients = 2;

    /// <summary>--clients: the most a run may start (the stream id in each datagram has room for 1,024).</summary>
    public const int MaxClients = 1000;

    /// <summary>
    /// --clients: the generator keeps a batch of buffers per client (64 datagrams each), so clients times
    /// the largest size is capped: 4 MiB here is 256 MiB of buffers.
    /// </summary>
    public const long MaxClientBytes = 4L * 1024 * 1024;

    /// <summary>--workload bursts: long enough for several bursts, and for BBR's PROBE_RTT (about every 10 s) to come in each trial.</summary>
    public const double DefaultBurstsDurationSeconds = 30;

    /// <summary>--delay: up to a second one way (a geostationary hop is 270 ms).</summary>
    public const double MaxDelayMilliseconds = 1000;

    /// <summary>--loss: up to half of the frames each way.</summary>
    public const double MaxLossPercent = 50;

    /// <summary>--loads: multiples of the link's rate from this...</summary>
    public const double MinLoad = 0.01;

    /// <summary>...to this.</summary>
    public const double MaxLoad = 10;

    private bool _sizesGiven;
    private bool _durationGiven;
    private readonly List<string> _linkOnly = [];

    /// <summary>Length of each trial; a search runs a dozen or so per size and path.</summary>
    public double DurationSeconds { get; set; } = DefaultDurationSeconds;
    public IReadOnlyList<int> Sizes { get; set; } = [64, 1200];

    /// <summary>Offered datagrams per second; null: search for the lossless rate.</summary>
    public long? Rate { get; set; }

    /// <summary>Machine-readable output on stdout instead of the table.</summary>
    public bool Json { get; set; }

    /// <summary>The tunnel children's data path (passed as UDP_OVER_TCP_IO); null: their default.</summary>
    public UdpDataPath? DataPath { get; set; }

    /// <summary>With --external: the local end of tunnels the user started (the generator sends here)...</summary>
    public IPEndPoint? ExternalSendTo { get; set; }

    /// <summary>...and where the far end delivers (the sink binds this, and the generator sends from it).</summary>
    public IPEndPoint? ExternalReceiveOn { get; set; }

    public bool IsExternal => ExternalSendTo is not null;

    /// <summary>--link RATE: measure across a link of this rate between two network namespaces instead of loopback.</summary>
    public LinkRate? Link { get; set; }

    /// <summary>--delay: the delay line's one-way delay, each direction, in milliseconds (0: none).</summary>
    public double DelayMilliseconds { get; set; }

    /// <summary>--loss: the delay line's loss probability, each direction on its own, 0 to 1 (0: none).</summary>
    public double LossFraction { get; set; }

    /// <summary>--seed: the delay line's PRNG seed; null: one from the clock (the report gives it).</summary>
    public int? Seed { get; set; }

    /// <summary>--workload: what --link offers.</summary>
    public LinkWorkload Workload { get; set; } = LinkWorkload.Steady;

    /// <summary>--loads: the loads (multiples of the link's rate) instead of the workload's own; null: its own.</summary>
    public IReadOnlyList<double>? Loads { get; set; }

    /// <summary>Whether --link runs through the bench's delay line (a delay or a loss was asked for).</summary>
    public bool HasDelayLine => DelayMilliseconds > 0 || LossFraction > 0;

    /// <summary>The tunnel binary the bench starts; null: udp-over-tcp beside the bench.</summary>
    public string? TunnelPath { get; set; }

    /// <summary>More arguments for both tunnel ends the bench starts, after its own (e.g. "--queue-delay 0").</summary>
    public IReadOnlyList<string> TunnelArgs { get; set; } = [];

    /// <summary>--tls: the tunnels the bench starts speak TLS 1.3 and the HTTP Upgrade, with a throwaway certificate.</summary>
    public bool Tls { get; set; }

    /// <summary>--clients N: also measure N connect ends through one listen end started with --multi-client; null: not.</summary>
    public int? Clients { get; set; }

    /// <summary>Print every trial on stderr: how the search went, and what the generator managed.</summary>
    public bool Verbose { get; set; }

    public bool ShowHelp { get; set; }

    public bool ShowVersion { get; set; }

    public static readonly IReadOnlyList<OptionSpec<BenchOptions>> Table =
    [
        new("size", 's', "LIST", $"datagram sizes in bytes, comma-separated, {SequencedPayload.MinimumSize} to {MaxSize} (default 64,1200; with --link one size, default {DefaultLinkSize})",
            (o, v) => (o.Sizes, o._sizesGiven) = (BenchOptionValues.ParseSizes(v!), true)),
        new("rate", 'r', "N", $"offer N datagrams/s and measure at that rate only (default: search for the lossless rate)",
            (o, v) => o.Rate = BenchOptionValues.ParseRate(v!)),
        new("duration", 'd', "SECONDS", $"length of each trial (default {DefaultDurationSeconds.ToString(CultureInfo.InvariantCulture)}, with --link {DefaultLinkDurationSeconds.ToString(CultureInfo.InvariantCulture)}; 0.1 to 60)",
            (o, v) => (o.DurationSeconds, o._durationGiven) = (BenchOptionValues.ParseDuration(v!), true)),
        new("json", null, null, "print the results as JSON on stdout instead of a table",
            (o, _) => o.Json = true),
        new("io", null, "KIND", "data path of the tunnels the bench starts: portable or batched (default: theirs)",
            (o, v) => o.DataPath = BenchOptionValues.ParseDataPath(v!)),
        new("tunnel", null, "PATH", "the tunnel binary to start (default: udp-over-tcp beside this program)",
            (o, v) => o.TunnelPath = v),
        new("tunnel-args", null, "\"ARGS\"", "more arguments for both tunnel ends the bench starts, split at spaces, e.g. \"--queue-delay 0\"",
            (o, v) => o.TunnelArgs = v!.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
        new("tls", null, null, "the tunnels the bench starts speak TLS 1.3 and the HTTP Upgrade (https://), with a throwaway self-signed certificate (needs openssl)",
            (o, _) => o.Tls = true),
        new("link", null, "RATE", "Linux, as root: plain UDP and the tunnel across a veth link shaped to RATE (e.g. 20mbit) between two network namespaces the bench builds, at 0.8, 1.2 and 2 times RATE",
            (o, v) => o.Link = LinkRate.Parse(v!)),
        new("delay", null, "TIME", $"with --link: a one-way delay each way, e.g. 25ms (0 to {MaxDelayMilliseconds.ToString(CultureInfo.InvariantCulture)}ms), by the bench's delay line in a third namespace between X and Y",
            (o, v) => o.DelayMilliseconds = o.LinkOnly("--delay", BenchOptionValues.ParseDelay(v!))),
        new("loss", null, "PERCENT", $"with --link: drop this share of frames, each direction on its own, e.g. 0.5% (0 to {MaxLossPercent.ToString(CultureInfo.InvariantCulture)}%), by the delay line",
            (o, v) => o.LossFraction = o.LinkOnly("--loss", BenchOptionValues.ParseLoss(v!))),
        new("seed", null, "N", "with --delay or --loss: the delay line's PRNG seed (default: from the clock; the report gives it)",
            (o, v) => o.Seed = o.LinkOnly("--seed", BenchOptionValues.ParseSeed(v!))),
        new("workload", null, "KIND", "with --link: steady (default: one flow at 0.8, 1.2, 2 times RATE), mixed (a 100 B flow at 50/s beside a bulk flow at 0.5, 1.2, 2 times) or bursts (1 s on at 0.7 times, 2 s off; then steady flows at 0.2 and 0.5 times; default --duration 30)",
            (o, v) => o.Workload = o.LinkOnly("--workload", BenchOptionValues.ParseWorkload(v!))),
        new("loads", null, "LIST", $"with --link: the loads instead, comma-separated multiples of RATE ({MinLoad.ToString(CultureInfo.InvariantCulture)} to {MaxLoad.ToString(CultureInfo.InvariantCulture)}), e.g. 0.2,0.5 (bursts: the steady flows')",
            (o, v) => o.Loads = o.LinkOnly("--loads", BenchOptionValues.ParseLoads(v!))),
        new("external", null, "SEND_ADDR RECV_ADDR", "measure tunnels you started: send to SEND_ADDR from RECV_ADDR, receive on RECV_ADDR",
            (o, v) => o.SetExternal(v!)) { ValueCount = 2 },
        new("clients", null, "N", $"also run N clients ({MinClients} to {MaxClients}) through one server: a listen end with --multi-client --max-clients N and N connect ends; the generator spreads the rate over them (no latency ping-pong then)",
            (o, v) => o.Clients = BenchOptionValues.ParseClients(v!)),
        new("verbose", 'v', null, "print every trial on stderr",
            (o, _) => o.Verbose = true),
        new("help", 'h', null, "print this help and exit",
            (o, _) => o.ShowHelp = true),
        new("version", 'V', null, "print the version and exit",
            (o, _) => o.ShowVersion = true),
    ];

    public static BenchOptions Parse(ReadOnlySpan<string> args)
    {
        var options = new BenchOptions();
        OptionParser.Parse(Table, args, options);
        if (options.IsExternal && options.DataPath is not null)
        {
            throw new UsageException("--io applies to the tunnels the bench starts; with --external, set UDP_OVER_TCP_IO where you start yours");
        }

        if (options.IsExternal && options.TunnelPath is not null)
        {
            throw new UsageException("--tunnel names the binary the bench starts; with --external it starts none");
        }

        if (options.IsExternal && options.TunnelArgs.Count > 0)
        {
            throw new UsageException("--tunnel-args are for the tunnels the bench starts; with --external, give them where you start yours");
        }

        if (options.IsExternal && options.Tls)
        {
            throw new UsageException("--tls gives the tunnels the bench starts a throwaway certificate; with --external it starts none (give yours --tls-cert and https:// where you start them)");
        }

        if (options.Link is not null)
        {
            options.ApplyLinkDefaults();
        }
        else if (options._linkOnly.Count > 0)
        {
            throw new UsageException($"{options._linkOnly[0]} shapes the --link run; it needs --link RATE");
        }

        if (options.Clients is { } clients)
        {
            options.CheckClients(clients);
        }

        return options;
    }

    /// <summary>--link: one size (default 1200 B) of stamped datagrams, 10 s trials, at its own three rates, with tunnels the bench starts.</summary>
    private void ApplyLinkDefaults()
    {
        if (IsExternal)
        {
            throw new UsageException("--link measures tunnels the bench starts across the link it builds; it does not go with --external");
        }

        if (Rate is not null)
        {
            throw new UsageException("--link offers 0.8, 1.2 and 2 times the link's rate; it does not go with --rate");
        }

        if (!_sizesGiven)
        {
            Sizes = [DefaultLinkSize];
        }
        else if (Sizes.Count != 1 || Sizes[0] < SequencedPayload.MinimumStampedSize)
        {
            throw new UsageException($"--link takes one --size, from {SequencedPayload.MinimumStampedSize} to {MaxSize} (each datagram carries its send time)");
        }

        if (!_durationGiven)
        {
            DurationSeconds = Workload == LinkWorkload.Bursts ? DefaultBurstsDurationSeconds : DefaultLinkDurationSeconds;
        }

        if (Seed is not null && !HasDelayLine)
        {
            throw new UsageException("--seed is the delay line's; it needs --delay or --loss");
        }
    }

    /// <summary>Notes that an option that only --link uses was given, and passes its value on.</summary>
    private T LinkOnly<T>(string option, T value)
    {
        _linkOnly.Add(option);
        return value;
    }

    /// <summary>--clients: loopback tunnels the bench starts, and buffers that fit (see <see cref="MaxClientBytes"/>).</summary>
    private void CheckClients(int clients)
    {
        if (Link is not null)
        {
            throw new UsageException("--clients runs on loopback; it does not go with --link");
        }

        if (IsExternal)
        {
            throw new UsageException("--clients starts its own tunnels; it does not go with --external");
        }

        int largest = Sizes.Max();
        if ((long)clients * largest > MaxClientBytes)
        {
            throw new UsageException($"--clients {clients} with --size {largest}: the generator would hold {(long)clients * largest * BatchSender.MaxBatch / (1024 * 1024)} MiB of buffers; keep clients times size at most {MaxClientBytes / 1024} KiB");
        }
    }

    /// <summary>Called once per value of --external: first the address to send to, then the one to receive on.</summary>
    private void SetExternal(string value)
    {
        if (ExternalSendTo is null)
        {
            var sendTo = EndpointParser.Parse("--external", value, IPAddress.Loopback, allowPortZero: false);
            if (!IPAddress.IsLoopback(sendTo.Address))
            {
                // The generator floods what it sends to: only ever this host.
                throw new UsageException($"--external: SEND_ADDR '{value}' must be a loopback address (127.0.0.0/8 or [::1])");
            }

            ExternalSendTo = sendTo;
            return;
        }

        var receiveOn = EndpointParser.Parse("--external", value, IPAddress.Loopback, allowPortZero: false);
        if (receiveOn.AddressFamily != ExternalSendTo.AddressFamily && !receiveOn.Address.Equals(IPAddress.IPv6Any))
        {
            throw new UsageException("--external: SEND_ADDR and RECV_ADDR must both be IPv4 or both IPv6 (or RECV_ADDR [::]:PORT)");
        }

        ExternalReceiveOn = receiveOn;
    }
}
