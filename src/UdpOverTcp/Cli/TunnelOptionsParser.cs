using System.Net;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Framing;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Cli.TunnelOptionValues;

namespace UdpOverTcp.Cli;

/// <summary>
/// The tunnel's command line: one table drives both the parse and --help (<see cref="HelpText"/>).
/// Throws <see cref="UsageException"/> with a one-line message for anything wrong.
/// </summary>
public static class TunnelOptionsParser
{
    private const string Endpoints = "Endpoints";
    private const string Wire = "Wire and limits";
    private const string Security = "Security";
    private const string Tcp = "TCP";
    private const string Buffers = "Socket buffers";
    private const string Output = "Output";

    public static readonly IReadOnlyList<OptionSpec<Draft>> Table =
    [
        new("tcp-listen", 'l', "ADDR", "listen for the TCP peer (address defaults to 0.0.0.0); repeat for more addresses",
            (d, v) => d.SetTcp(TcpRole.Listen, EndpointParser.Parse("--tcp-listen", v!, IPAddress.Any, allowPortZero: true))) { Group = Endpoints, Repeatable = true },
        new("tcp-connect", 't', "HOST", "connect to the TCP peer, reconnecting as needed (defaults to 127.0.0.1; a name is looked up at each dial); or http[s]://HOST[:PORT]/PATH: HTTP Upgrade first (https: over TLS)",
            (d, v) => d.SetConnectTarget(v!)) { Group = Endpoints },
        new("http-upgrade", null, "PATH", "listen side: each connection must first ask for the HTTP Upgrade to PATH (ProxyGuard's UoTLV/1; implies --framing u16be)",
            (d, v) => d.SetListenUpgrade(ConnectUrl.ParseListenPath(v!))) { Group = Endpoints },
        new("proxy", null, "URL", $"connect through a proxy: http://[USER:PASS@]HOST:PORT (CONNECT), or socks5://... (or ${ProxyUri.EnvironmentVariable})",
            (d, v) => d.Options = d.Options with { Proxy = ProxyUri.Parse("--proxy", v!) }) { Group = Endpoints },
        new("udp-bind", 'u', "ADDR", "UDP socket that receives from the app and sends to it (defaults to 0.0.0.0)",
            (d, v) => d.Options = d.Options with { UdpBind = EndpointParser.Parse("--udp-bind", v!, IPAddress.Any, allowPortZero: true) }) { Group = Endpoints },
        new("udp-sendto", 'p', "HOST", "where datagrams from the TCP peer are delivered (defaults to 127.0.0.1; a name is resolved at start)",
            (d, v) => d.SetUdpSendTo(EndpointParser.ParseHost("--udp-sendto", v!, IPAddress.Loopback, allowPortZero: false))) { Group = Endpoints },
        new("multi-client", null, null, "listen side: every client gets a UDP socket of its own (an ephemeral port on --udp-bind's address)",
            (d, _) => d.Options = d.Options with { MultiClient = true }) { Group = Endpoints },
        new("max-clients", null, "N", $"with --multi-client: refuse connections past N clients (default {TunnelOptions.DefaultMaxClients})",
            (d, v) => d.SetMaxClients(ParseMaxClients(v!))) { Group = Endpoints },
        new("queue-delay", null, "MS", $"drop datagrams that waited longer than this for the TCP link (default {TunnelOptions.DefaultQueueDelayMilliseconds}; 0 = never, queue by bytes only)",
            (d, v) => d.Options = d.Options with { QueueDelay = TimeSpan.FromMilliseconds(ParseMilliseconds("--queue-delay", v!)) }) { Group = Wire },
        new("priority-size", null, "BYTES", $"datagrams up to this size go ahead of queued larger ones (default {TunnelOptions.DefaultPrioritySize}; 0 = one queue for all)",
            (d, v) => d.Options = d.Options with { PrioritySize = ParsePrioritySize(v!) }) { Group = Wire },
        new("priority-share", null, "PERCENT", $"the share of the link those may take ahead of larger ones that wait (default {TunnelOptions.DefaultPrioritySharePercent}; 0 = no priority)",
            (d, v) => d.Options = d.Options with { PrioritySharePercent = ParsePercent("--priority-share", v!) }) { Group = Wire },
        new("framing", null, "KIND", "u32le: 4-byte little-endian length (default, the original Rust tool); u16be: RFC 4571",
            (d, v) => d.SetFraming(ParseFraming(v!))) { Group = Wire },
        new("max-frame", null, "BYTES", $"close a link whose peer announces a longer datagram (default {FrameCodec.DefaultMaxFrame})",
            (d, v) => d.Options = d.Options with { MaxFrame = ParseMaxFrame(v!) }) { Group = Wire },
        new("secret-file", null, "PATH", "authenticate links with the secret in PATH (or $UDP_OVER_TCP_SECRET); both ends the same",
            (d, v) => d.Options = d.Options with { SecretFile = v }) { Group = Security },
        new("tls-ca", null, "FILE", "with --tcp-connect https://: also trust the CAs in this PEM file",
            (d, v) => d.Options = d.Options with { TlsCaFile = v }) { Group = Security },
        new("tls-sni", null, "NAME", "with --tcp-connect https://: send and verify NAME instead of HOST",
            (d, v) => d.Options = d.Options with { TlsSni = v }) { Group = Security },
        new("tls-pin", null, "sha256:HEX", "with --tcp-connect https://: accept only the server whose certificate or public key has this hash (no CA check)",
            (d, v) => d.Options = d.Options with { TlsPin = ParsePin(v!) }) { Group = Security },
        new("tls-cert", null, "FILE", "listen side: terminate TLS 1.3 with this certificate chain (PEM; SIGHUP reloads it and the key)",
            (d, v) => d.Options = d.Options with { TlsCertFile = v }) { Group = Security },
        new("tls-key", null, "FILE", "listen side: the private key (PEM) for --tls-cert",
            (d, v) => d.Options = d.Options with { TlsKeyFile = v }) { Group = Security },
        new("tcp-allow", null, "CIDRS", "listen side: accept TCP peers only from these ranges, e.g. 127.0.0.1,10.0.0.0/8",
            (d, v) => d.Options = d.Options with { TcpAllow = AddressFilter.Parse("--tcp-allow", v!) }) { Group = Security },
        new("udp-peer-only", null, null, "forward only datagrams that come from the --udp-sendto address",
            (d, _) => d.Options = d.Options with { UdpPeerOnly = true }) { Group = Security },
        new("tcp-timeout", null, "SECONDS", $"declare a silent peer dead after about this long (default {TunnelOptions.DefaultTcpTimeout}, 0 = off)",
            (d, v) => d.Options = d.Options with { TcpTimeoutSeconds = ParseSeconds("--tcp-timeout", v!) }) { Group = Tcp },
        new("tcp-keepalive", null, "SECONDS", "idle time before keepalive probes (default a third of --tcp-timeout)",
            (d, v) => d.Options = d.Options with { TcpKeepAliveSeconds = ParseSeconds("--tcp-keepalive", v!, minimum: 1) }) { Group = Tcp },
        new("connect-timeout", null, "SECONDS", $"give up a connection attempt (name lookup, connect, proxy handshake) after this long, then back off (default {TunnelOptions.DefaultConnectTimeout})",
            (d, v) => d.Options = d.Options with { ConnectTimeout = TimeSpan.FromSeconds(ParseSeconds("--connect-timeout", v!, minimum: 1)) }) { Group = Tcp },
        new("tcp-nodelay", null, null, "send each batch at once (default)",
            (d, _) => d.SetNoDelay(true)) { Group = Tcp },
        new("no-tcp-nodelay", null, null, "let the kernel coalesce small sends (Nagle): fewer packets, more latency",
            (d, _) => d.SetNoDelay(false)) { Group = Tcp },
        new("fwmark", null, "MARK", "Linux: set SO_MARK on TCP sockets, for policy routing around a VPN (needs CAP_NET_ADMIN or, on 5.17+, CAP_NET_RAW)",
            (d, v) => d.Options = d.Options with { FwMark = ParseMark(v!) }) { Group = Tcp },
        new("congestion", null, "NAME", "Linux: the links' TCP congestion control, e.g. bbr or cubic (default: the system's, net.ipv4.tcp_congestion_control)",
            (d, v) => d.Options = d.Options with { Congestion = ParseCongestion(v!) }) { Group = Tcp },
        new("udp-recv-buffer", null, "BYTES", "UDP receive buffer, e.g. 4M (default 4M; 0 = OS default); past net.core.rmem_max with CAP_NET_ADMIN",
            (d, v) => d.Options = d.Options with { UdpReceiveBuffer = ByteSize.Parse("--udp-recv-buffer", v!) }) { Group = Buffers },
        new("udp-send-buffer", null, "BYTES", "UDP send buffer (default 4M; 0 = OS default)",
            (d, v) => d.Options = d.Options with { UdpSendBuffer = ByteSize.Parse("--udp-send-buffer", v!) }) { Group = Buffers },
        new("tcp-send-buffer", null, "BYTES", "TCP send buffer (default 0: the OS's autotuning)",
            (d, v) => d.Options = d.Options with { TcpSendBuffer = ByteSize.Parse("--tcp-send-buffer", v!) }) { Group = Buffers },
        new("tcp-recv-buffer", null, "BYTES", "TCP receive buffer (default 0: the OS's autotuning)",
            (d, v) => d.Options = d.Options with { TcpReceiveBuffer = ByteSize.Parse("--tcp-recv-buffer", v!) }) { Group = Buffers },
        new("stats", null, "SECONDS", "print a statistics line this often (default 0: at exit and on SIGUSR1 only)",
            (d, v) => d.Options = d.Options with { StatsIntervalSeconds = ParseSeconds("--stats", v!) }) { Group = Output },
        new("log-level", null, "LEVEL", "error, warn, info (default), debug, or trace (a line per datagram)",
            (d, v) => d.SetLogLevel(ParseLogLevel(v!))) { Group = Output },
        new("verbose", 'v', null, "debug level; -vv: trace",
            (d, _) => d.AddVerbose()) { Group = Output, Repeatable = true },
        new("quiet", 'q', null, "log only warnings and errors",
            (d, _) => d.SetLogLevel(LogLevel.Warn)) { Group = Output },
        new("help", 'h', null, "print this help and exit",
            (d, _) => d.Options = d.Options with { ShowHelp = true }) { Group = Output },
        new("version", 'V', null, "print the version and exit",
            (d, _) => d.Options = d.Options with { ShowVersion = true }) { Group = Output },
    ];

    /// <summary>Parses and validates; throws <see cref="UsageException"/> with a one-line message.</summary>
    /// <param name="dataPath">The value of <see cref="UdpDataPathVariable.Name"/>, if set.</param>
    /// <param name="proxy">The value of <see cref="ProxyUri.EnvironmentVariable"/>, if set: the connect side's proxy unless --proxy is given.</param>
    public static TunnelOptions Parse(ReadOnlySpan<string> args, string? dataPath = null, string? proxy = null)
    {
        var draft = new Draft { Options = new TunnelOptions { DataPath = ParseDataPath(dataPath) } };
        OptionParser.Parse(Table, args, draft);
        var options = draft.Options;
        if (options.ShowHelp || options.ShowVersion)
        {
            return options;
        }

        if (options.TcpEndpoint is null && options.TcpConnectName is null)
        {
            throw new UsageException("give one of --tcp-listen or --tcp-connect");
        }

        if (options.UdpBind is null)
        {
            throw new UsageException("--udp-bind is required");
        }

        if (options.UdpSendTo is null && options.UdpSendToName is null)
        {
            throw new UsageException("--udp-sendto is required");
        }

        if (options.Proxy is not null && options.Role != TcpRole.Connect)
        {
            throw new UsageException("--proxy applies to --tcp-connect only");
        }

        // The variable is for the connect side; a listen side started from the same environment ignores it.
        if (options.Proxy is null && options.Role == TcpRole.Connect && !string.IsNullOrEmpty(proxy))
        {
            options = options with { Proxy = ProxyUri.Parse(ProxyUri.EnvironmentVariable, proxy) };
        }

        if (!options.Tls && (options.TlsCaFile ?? options.TlsSni ?? (object?)options.TlsPin) is not null)
        {
            throw new UsageException("--tls-ca, --tls-sni and --tls-pin apply to --tcp-connect https:// only");
        }

        if (options.TlsPin is not null && options.TlsCaFile is not null)
        {
            throw new UsageException("--tls-pin replaces CA verification: give --tls-pin or --tls-ca, not both");
        }

        if ((options.TlsCertFile is null) != (options.TlsKeyFile is null))
        {
            throw new UsageException("--tls-cert and --tls-key go together");
        }

        if (options.TlsCertFile is not null && options.Role != TcpRole.Listen)
        {
            throw new UsageException("--tls-cert and --tls-key apply to --tcp-listen only (the connect side's TLS is --tcp-connect https://)");
        }

        if (options.FwMark is not null && !OperatingSystem.IsLinux())
        {
            throw new UsageException("--fwmark needs Linux (SO_MARK)");
        }

        if (options.Congestion is not null && !OperatingSystem.IsLinux())
        {
            throw new UsageException("--congestion needs Linux (TCP_CONGESTION)");
        }

        if (!options.TcpAllow.IsEmpty && options.Role != TcpRole.Listen)
        {
            throw new UsageException("--tcp-allow applies to --tcp-listen only");
        }

        if (options.MultiClient && options.Role != TcpRole.Listen)
        {
            throw new UsageException("--multi-client applies to --tcp-listen only");
        }

        if (draft.MaxClientsGiven && !options.MultiClient)
        {
            throw new UsageException("--max-clients needs --multi-client");
        }

        // An IPv4 socket cannot reach an IPv6 address; a dual-mode [::] socket reaches both. (A name is
        // resolved at start to an address of the family --udp-bind can reach.)
        if (options.UdpSendTo is not null
            && options.UdpBind.AddressFamily != options.UdpSendTo.AddressFamily
            && !options.UdpBind.Address.Equals(IPAddress.IPv6Any))
        {
            throw new UsageException("--udp-bind and --udp-sendto must both be IPv4 or both IPv6 (or bind [::]:PORT)");
        }

        return options.UpgradePath is null ? options : WithUpgradeFraming(options, draft);
    }

    private static Links.Tls.TlsPin ParsePin(string value)
    {
        try
        {
            return Links.Tls.TlsPin.Parse(value);
        }
        catch (FormatException e)
        {
            throw new UsageException("--tls-pin: " + e.Message);
        }
    }

    /// <summary>The HTTP Upgrade is for the listen side's --http-upgrade or --tcp-connect http://, and means u16be frames (UoTLV/1).</summary>
    private static TunnelOptions WithUpgradeFraming(TunnelOptions options, Draft draft)
    {
        if (options.Role == TcpRole.Connect && draft.ListenUpgradeGiven)
        {
            throw new UsageException("--http-upgrade applies to --tcp-listen only; the connect side gives --tcp-connect http://HOST:PORT/PATH");
        }

        if (draft.FramingGiven && options.Framing != FramingKind.U16BigEndian)
        {
            throw new UsageException("--framing u32le: the HTTP Upgrade (UoTLV/1) carries u16be frames; leave --framing out");
        }

        return options with { Framing = FramingKind.U16BigEndian };
    }

    /// <summary>The options as far as the command line has been read, and what the parse must remember.</summary>
    public sealed class Draft
    {
        private bool _logLevelGiven;
        private int _verbosity;
        private bool _noDelayGiven;

        public bool MaxClientsGiven { get; private set; }

        public bool FramingGiven { get; private set; }

        public bool ListenUpgradeGiven { get; private set; }

        public void SetListenUpgrade(string path)
        {
            ListenUpgradeGiven = true;
            Options = Options with { UpgradePath = path };
        }

        public TunnelOptions Options { get; set; } = new();

        public void SetFraming(FramingKind framing)
        {
            FramingGiven = true;
            Options = Options with { Framing = framing };
        }

        /// <summary>--tcp-connect: HOST:PORT, or http://HOST[:PORT]/PATH for the HTTP Upgrade first.</summary>
        public void SetConnectTarget(string value)
        {
            if (!ConnectUrl.IsUrl(value))
            {
                SetConnect(EndpointParser.ParseHost("--tcp-connect", value, IPAddress.Loopback, allowPortZero: false));
                return;
            }

            var url = ConnectUrl.Parse(value);
            SetConnect(url.Target);
            Options = Options with { UpgradePath = url.Path, UpgradeHost = url.HostField, Tls = url.Tls };
        }

        public void SetConnect(EndPoint endpoint)
        {
            if (endpoint is HostNameEndPoint name)
            {
                if (Options.TcpEndpoint is not null || Options.TcpConnectName is not null)
                {
                    throw new UsageException("give only one of --tcp-listen or --tcp-connect");
                }

                Options = Options with { Role = TcpRole.Connect, TcpConnectName = name };
            }
            else
            {
                SetTcp(TcpRole.Connect, (IPEndPoint)endpoint);
            }
        }

        public void SetUdpSendTo(EndPoint endpoint) => Options = endpoint is HostNameEndPoint name
            ? Options with { UdpSendToName = name }
            : Options with { UdpSendTo = (IPEndPoint)endpoint };

        public void SetTcp(TcpRole role, IPEndPoint endpoint)
        {
            if (Options.TcpConnectName is not null)
            {
                throw new UsageException("give only one of --tcp-listen or --tcp-connect");
            }

            if (Options.TcpEndpoint is null)
            {
                Options = Options with { Role = role, TcpEndpoint = endpoint };
            }
            else if (role == TcpRole.Listen && Options.Role == TcpRole.Listen)
            {
                Options = Options with { MoreListenEndpoints = [.. Options.MoreListenEndpoints, endpoint] };
            }
            else
            {
                throw new UsageException("give only one of --tcp-listen or --tcp-connect");
            }
        }

        public void SetMaxClients(int maxClients)
        {
            MaxClientsGiven = true;
            Options = Options with { MaxClients = maxClients };
        }

        public void AddVerbose()
        {
            _verbosity++;
            if (_verbosity > 2)
            {
                throw new UsageException("--verbose at most twice (-vv)");
            }

            SetLogLevel(_verbosity == 1 ? LogLevel.Debug : LogLevel.Trace, again: _verbosity > 1);
        }

        public void SetLogLevel(LogLevel level, bool again = false)
        {
            if (_logLevelGiven && !again)
            {
                throw new UsageException("give only one of --verbose, --quiet or --log-level");
            }

            _logLevelGiven = true;
            Options = Options with { LogLevel = level };
        }

        public void SetNoDelay(bool noDelay)
        {
            if (_noDelayGiven)
            {
                throw new UsageException("give only one of --tcp-nodelay or --no-tcp-nodelay");
            }

            _noDelayGiven = true;
            Options = Options with { TcpNoDelay = noDelay };
        }
    }
}
