using System.Globalization;
using System.Net;
using UdpOverTcp.Framing;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Cli;

/// <summary>Which side of the TCP connection this instance is.</summary>
public enum TcpRole
{
    Listen,
    Connect,
}

/// <summary>Everything the tunnel command needs, as parsed and validated from the command line.</summary>
public sealed class TunnelOptions
{
    public TcpRole Role { get; set; }
    public IPEndPoint? TcpEndpoint { get; set; }

    /// <summary>Further --tcp-listen addresses (e.g. [::]:7878 beside 0.0.0.0:7878); any of them may carry the link.</summary>
    public List<IPEndPoint> MoreListenEndpoints { get; } = [];
    public IPEndPoint? UdpBind { get; set; }
    public IPEndPoint? UdpSendTo { get; set; }
    public FramingKind Framing { get; set; } = FramingKind.U32LittleEndian;
    public int MaxFrame { get; set; } = FrameCodec.DefaultMaxFrame;
    public LogLevel LogLevel { get; set; } = LogLevel.Info;
    public UdpDataPath DataPath { get; set; } = UdpDataPath.Auto;

    /// <summary>Socket buffer requests in bytes; 0 leaves the OS default (for TCP: Linux's autotuning).</summary>
    public int UdpReceiveBuffer { get; set; } = DefaultUdpBuffer;
    public int UdpSendBuffer { get; set; } = DefaultUdpBuffer;
    public int TcpSendBuffer { get; set; }
    public int TcpReceiveBuffer { get; set; }

    /// <summary>--secret-file, if given; <see cref="Secret"/> holds what was loaded from it (or the environment).</summary>
    public string? SecretFile { get; set; }

    /// <summary>The shared secret for link authentication; null: no handshake, wire-compatible with the original tool.</summary>
    public byte[]? Secret { get; set; }

    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Which peers may connect on the listen side.</summary>
    public AddressFilter TcpAllow { get; set; } = AddressFilter.Everyone;

    /// <summary>Accept datagrams on the bound port only from --udp-sendto.</summary>
    public bool UdpPeerOnly { get; set; }

    /// <summary>Declare a link dead after this long without an answer from the peer; 0 turns detection off.</summary>
    public int TcpTimeoutSeconds { get; set; } = DefaultTcpTimeout;

    public const int DefaultTcpTimeout = 30;

    /// <summary>Seconds idle before the first keepalive probe; null: a third of --tcp-timeout.</summary>
    public int? TcpKeepAliveSeconds { get; set; }

    /// <summary>TCP_NODELAY: send each batch at once (the default; coalescing is done per batch, not by Nagle).</summary>
    public bool TcpNoDelay { get; set; } = true;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(DefaultConnectTimeout);

    /// <summary>Datagrams that waited longer than this for the TCP link are dropped (see TimeBoundedQueue); zero: never.</summary>
    public TimeSpan QueueDelay { get; set; } = TimeSpan.FromMilliseconds(DefaultQueueDelayMilliseconds);

    public const int DefaultQueueDelayMilliseconds = 5;

    public const int DefaultConnectTimeout = 10;

    /// <summary>SO_MARK for the TCP sockets (Linux policy routing); null: not set.</summary>
    public uint? FwMark { get; set; }

    /// <summary>Print a statistics line this often; 0: only at exit and on SIGUSR1.</summary>
    public int StatsIntervalSeconds { get; set; }

    private bool _logLevelGiven;
    private int _verbosity;
    private bool _noDelayGiven;

    /// <summary>UDP buffers sized for bursts; without CAP_NET_ADMIN, Linux grants at most net.core.rmem_max / wmem_max (see SocketBuffers).</summary>
    public const int DefaultUdpBuffer = 4 * 1024 * 1024;
    public bool ShowHelp { get; set; }
    public bool ShowVersion { get; set; }

    private const string Endpoints = "Endpoints";
    private const string Wire = "Wire and limits";
    private const string Security = "Security";
    private const string Tcp = "TCP";
    private const string Buffers = "Socket buffers";
    private const string Output = "Output";

    public static readonly IReadOnlyList<OptionSpec<TunnelOptions>> Table =
    [
        new("tcp-listen", 'l', "ADDR", "listen for the TCP peer (address defaults to 0.0.0.0); repeat for more addresses",
            (o, v) => o.SetTcp(TcpRole.Listen, EndpointParser.Parse("--tcp-listen", v!, IPAddress.Any, allowPortZero: true))) { Group = Endpoints, Repeatable = true },
        new("tcp-connect", 't', "ADDR", "connect to the TCP peer, reconnecting as needed (defaults to 127.0.0.1)",
            (o, v) => o.SetTcp(TcpRole.Connect, EndpointParser.Parse("--tcp-connect", v!, IPAddress.Loopback, allowPortZero: false))) { Group = Endpoints },
        new("udp-bind", 'u', "ADDR", "UDP socket that receives from the app and sends to it (defaults to 0.0.0.0)",
            (o, v) => o.UdpBind = EndpointParser.Parse("--udp-bind", v!, IPAddress.Any, allowPortZero: true)) { Group = Endpoints },
        new("udp-sendto", 'p', "ADDR", "where datagrams from the TCP peer are delivered (defaults to 127.0.0.1)",
            (o, v) => o.UdpSendTo = EndpointParser.Parse("--udp-sendto", v!, IPAddress.Loopback, allowPortZero: false)) { Group = Endpoints },
        new("queue-delay", null, "MS", $"drop datagrams that waited longer than this for the TCP link (default {DefaultQueueDelayMilliseconds}; 0 = never, queue by bytes only)",
            (o, v) => o.QueueDelay = TimeSpan.FromMilliseconds(ParseMilliseconds("--queue-delay", v!))) { Group = Wire },
        new("framing", null, "KIND", "u32le: 4-byte little-endian length (default, the original Rust tool); u16be: RFC 4571",
            (o, v) => o.Framing = ParseFraming(v!)) { Group = Wire },
        new("max-frame", null, "BYTES", $"close a link whose peer announces a longer datagram (default {FrameCodec.DefaultMaxFrame})",
            (o, v) => o.MaxFrame = ParseMaxFrame(v!)) { Group = Wire },
        new("secret-file", null, "PATH", "authenticate links with the secret in PATH (or $UDP_OVER_TCP_SECRET); both ends the same",
            (o, v) => o.SecretFile = v) { Group = Security },
        new("tcp-allow", null, "CIDRS", "listen side: accept TCP peers only from these ranges, e.g. 127.0.0.1,10.0.0.0/8",
            (o, v) => o.TcpAllow = AddressFilter.Parse("--tcp-allow", v!)) { Group = Security },
        new("udp-peer-only", null, null, "forward only datagrams that come from the --udp-sendto address",
            (o, _) => o.UdpPeerOnly = true) { Group = Security },
        new("tcp-timeout", null, "SECONDS", $"declare a silent peer dead after about this long (default {DefaultTcpTimeout}, 0 = off)",
            (o, v) => o.TcpTimeoutSeconds = ParseSeconds("--tcp-timeout", v!)) { Group = Tcp },
        new("tcp-keepalive", null, "SECONDS", "idle time before keepalive probes (default a third of --tcp-timeout)",
            (o, v) => o.TcpKeepAliveSeconds = ParseSeconds("--tcp-keepalive", v!, minimum: 1)) { Group = Tcp },
        new("connect-timeout", null, "SECONDS", $"give up a connection attempt after this long, then back off (default {DefaultConnectTimeout})",
            (o, v) => o.ConnectTimeout = TimeSpan.FromSeconds(ParseSeconds("--connect-timeout", v!, minimum: 1))) { Group = Tcp },
        new("tcp-nodelay", null, null, "send each batch at once (default)",
            (o, _) => o.SetNoDelay(true)) { Group = Tcp },
        new("no-tcp-nodelay", null, null, "let the kernel coalesce small sends (Nagle): fewer packets, more latency",
            (o, _) => o.SetNoDelay(false)) { Group = Tcp },
        new("fwmark", null, "MARK", "Linux: set SO_MARK on TCP sockets, for policy routing around a VPN (needs CAP_NET_ADMIN or, on 5.17+, CAP_NET_RAW)",
            (o, v) => o.FwMark = ParseMark(v!)) { Group = Tcp },
        new("udp-recv-buffer", null, "BYTES", "UDP receive buffer, e.g. 4M (default 4M; 0 = OS default); past net.core.rmem_max with CAP_NET_ADMIN",
            (o, v) => o.UdpReceiveBuffer = ByteSize.Parse("--udp-recv-buffer", v!)) { Group = Buffers },
        new("udp-send-buffer", null, "BYTES", "UDP send buffer (default 4M; 0 = OS default)",
            (o, v) => o.UdpSendBuffer = ByteSize.Parse("--udp-send-buffer", v!)) { Group = Buffers },
        new("tcp-send-buffer", null, "BYTES", "TCP send buffer (default 0: the OS's autotuning)",
            (o, v) => o.TcpSendBuffer = ByteSize.Parse("--tcp-send-buffer", v!)) { Group = Buffers },
        new("tcp-recv-buffer", null, "BYTES", "TCP receive buffer (default 0: the OS's autotuning)",
            (o, v) => o.TcpReceiveBuffer = ByteSize.Parse("--tcp-recv-buffer", v!)) { Group = Buffers },
        new("stats", null, "SECONDS", "print a statistics line this often (default 0: at exit and on SIGUSR1 only)",
            (o, v) => o.StatsIntervalSeconds = ParseSeconds("--stats", v!)) { Group = Output },
        new("log-level", null, "LEVEL", "error, warn, info (default), debug, or trace (a line per datagram)",
            (o, v) => o.SetLogLevel(ParseLogLevel(v!))) { Group = Output },
        new("verbose", 'v', null, "debug level; -vv: trace",
            (o, _) => o.AddVerbose()) { Group = Output, Repeatable = true },
        new("quiet", 'q', null, "log only warnings and errors",
            (o, _) => o.SetLogLevel(LogLevel.Warn)) { Group = Output },
        new("help", 'h', null, "print this help and exit",
            (o, _) => o.ShowHelp = true) { Group = Output },
        new("version", 'V', null, "print the version and exit",
            (o, _) => o.ShowVersion = true) { Group = Output },
    ];

    /// <summary>The environment variable that selects the UDP data path (see <see cref="UdpDataPath"/>).</summary>
    public const string DataPathVariable = "UDP_OVER_TCP_IO";

    /// <summary>Parses and validates; throws <see cref="UsageException"/> with a one-line message.</summary>
    /// <param name="dataPath">The value of <see cref="DataPathVariable"/>, if set.</param>
    public static TunnelOptions Parse(ReadOnlySpan<string> args, string? dataPath = null)
    {
        var options = new TunnelOptions { DataPath = ParseDataPath(dataPath) };
        OptionParser.Parse(Table, args, options);
        if (options.ShowHelp || options.ShowVersion)
        {
            return options;
        }

        if (options.TcpEndpoint is null)
        {
            throw new UsageException("give one of --tcp-listen or --tcp-connect");
        }

        if (options.UdpBind is null)
        {
            throw new UsageException("--udp-bind is required");
        }

        if (options.UdpSendTo is null)
        {
            throw new UsageException("--udp-sendto is required");
        }

        if (options.FwMark is not null && !OperatingSystem.IsLinux())
        {
            throw new UsageException("--fwmark needs Linux (SO_MARK)");
        }

        if (!options.TcpAllow.IsEmpty && options.Role != TcpRole.Listen)
        {
            throw new UsageException("--tcp-allow applies to --tcp-listen only");
        }

        // An IPv4 socket cannot reach an IPv6 address; a dual-mode [::] socket reaches both.
        if (options.UdpBind.AddressFamily != options.UdpSendTo.AddressFamily
            && !options.UdpBind.Address.Equals(IPAddress.IPv6Any))
        {
            throw new UsageException("--udp-bind and --udp-sendto must both be IPv4 or both IPv6 (or bind [::]:PORT)");
        }

        return options;
    }

    private void SetTcp(TcpRole role, IPEndPoint endpoint)
    {
        if (TcpEndpoint is null)
        {
            Role = role;
            TcpEndpoint = endpoint;
        }
        else if (role == TcpRole.Listen && Role == TcpRole.Listen)
        {
            MoreListenEndpoints.Add(endpoint);
        }
        else
        {
            throw new UsageException("give only one of --tcp-listen or --tcp-connect");
        }
    }

    private void AddVerbose()
    {
        _verbosity++;
        if (_verbosity > 2)
        {
            throw new UsageException("--verbose at most twice (-vv)");
        }

        SetLogLevel(_verbosity == 1 ? LogLevel.Debug : LogLevel.Trace, again: _verbosity > 1);
    }

    private void SetLogLevel(LogLevel level, bool again = false)
    {
        if (_logLevelGiven && !again)
        {
            throw new UsageException("give only one of --verbose, --quiet or --log-level");
        }

        _logLevelGiven = true;
        LogLevel = level;
    }

    private void SetNoDelay(bool noDelay)
    {
        if (_noDelayGiven)
        {
            throw new UsageException("give only one of --tcp-nodelay or --no-tcp-nodelay");
        }

        _noDelayGiven = true;
        TcpNoDelay = noDelay;
    }

    private static LogLevel ParseLogLevel(string value) => value switch
    {
        "error" => LogLevel.Error,
        "warn" => LogLevel.Warn,
        "info" => LogLevel.Info,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        _ => throw new UsageException($"--log-level: '{value}' is not error, warn, info, debug or trace"),
    };

    private static uint ParseMark(string value)
    {
        bool hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!uint.TryParse(hex ? value[2..] : value, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out uint mark))
        {
            throw new UsageException($"--fwmark: '{value}' is not a 32-bit number (decimal or 0x hex)");
        }

        return mark;
    }

    private static int ParseSeconds(string option, string value, int minimum = 0)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds < minimum || seconds > 3600)
        {
            throw new UsageException($"{option}: '{value}' is not a number of seconds from {minimum} to 3600");
        }

        return seconds;
    }

    private static int ParseMilliseconds(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds) || milliseconds > 60_000)
        {
            throw new UsageException($"{option}: '{value}' is not a number of milliseconds from 0 to 60000");
        }

        return milliseconds;
    }

    private static UdpDataPath ParseDataPath(string? value) => value switch
    {
        null or "" or "auto" => UdpDataPath.Auto,
        "portable" => UdpDataPath.Portable,
        "batched" when OperatingSystem.IsLinux() => UdpDataPath.Batched,
        "batched" => throw new UsageException($"{DataPathVariable}=batched needs Linux"),
        _ => throw new UsageException($"{DataPathVariable}: '{value}' is not auto, portable or batched"),
    };

    private static FramingKind ParseFraming(string value) => value switch
    {
        "u32le" => FramingKind.U32LittleEndian,
        "u16be" => FramingKind.U16BigEndian,
        _ => throw new UsageException($"--framing: '{value}' is not u32le or u16be"),
    };

    private static int ParseMaxFrame(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > FrameCodec.DefaultMaxFrame)
        {
            throw new UsageException($"--max-frame: '{value}' is not a number from 1 to {FrameCodec.DefaultMaxFrame}");
        }

        return n;
    }
}
