using System.Net;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Framing;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Cli;

/// <summary>Which side of the TCP connection this instance is.</summary>
public enum TcpRole
{
    Listen,
    Connect,
}

/// <summary>
/// Everything the tunnel command needs, as parsed and validated from the command line
/// (<see cref="TunnelOptionsParser"/>). Immutable: a value added later, such as the loaded secret, makes
/// a new one (<c>options with { Secret = ... }</c>).
/// </summary>
public sealed record TunnelOptions
{
    public TcpRole Role { get; init; }

    /// <summary>The --tcp-listen address, or the --tcp-connect address when it was given as one (else see <see cref="TcpConnectName"/>).</summary>
    public IPEndPoint? TcpEndpoint { get; init; }

    /// <summary>--tcp-connect given as a host name: resolved again before every dial (or by the proxy).</summary>
    public HostNameEndPoint? TcpConnectName { get; init; }

    /// <summary>
    /// The HTTP Upgrade's path (ProxyGuard's handshake, u16be frames after it): on the listen side
    /// --http-upgrade's, which every connection must ask for first; on the connect side the path of
    /// --tcp-connect http://HOST:PORT/PATH. Null: no HTTP, the frames from the first byte.
    /// </summary>
    public string? UpgradePath { get; init; }

    /// <summary>The connect side's Host field for the Upgrade: the URL's HOST[:PORT] as written.</summary>
    public string? UpgradeHost { get; init; }

    /// <summary>--tcp-connect https://...: TLS under the HTTP Upgrade; with <see cref="TlsCaFile"/>, <see cref="TlsSni"/>, <see cref="TlsPin"/>.</summary>
    public bool Tls { get; init; }

    /// <summary>--tls-ca: a PEM file of CAs trusted besides the system's.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>--tls-sni: the name sent and verified instead of HOST.</summary>
    public string? TlsSni { get; init; }

    /// <summary>--tls-pin: the server's certificate or public key hash, instead of CA verification.</summary>
    public Links.Tls.TlsPin? TlsPin { get; init; }

    /// <summary>The connect side's TLS settings, made at start from the --tls-* options (as <see cref="Secret"/> is read at start); null without TLS.</summary>
    public Links.Tls.TlsClientSettings? TlsClient { get; init; }

    /// <summary>--tls-cert: the listen side's certificate chain (PEM), with <see cref="TlsKeyFile"/>: it terminates TLS 1.3 itself.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>--tls-key: the private key (PEM) of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>The listen side's TLS, loaded at start from --tls-cert and --tls-key (SIGHUP reloads it); null without them.</summary>
    public Links.Tls.TlsServerContext? TlsServer { get; init; }

    /// <summary>--proxy (or $UDP_OVER_TCP_PROXY): the connect side dials through it; null: directly.</summary>
    public ProxyUri? Proxy { get; init; }

    /// <summary>What the connect side dials: <see cref="TcpConnectName"/> or <see cref="TcpEndpoint"/>; null on the listen side.</summary>
    public EndPoint? ConnectTarget => Role == TcpRole.Connect ? TcpConnectName ?? (EndPoint?)TcpEndpoint : null;

    /// <summary>Further --tcp-listen addresses (e.g. [::]:7878 beside 0.0.0.0:7878); any of them may carry the link.</summary>
    public IReadOnlyList<IPEndPoint> MoreListenEndpoints { get; init; } = [];
    public IPEndPoint? UdpBind { get; init; }
    public IPEndPoint? UdpSendTo { get; init; }

    /// <summary>--udp-sendto given as a host name: resolved once at start into <see cref="UdpSendTo"/>.</summary>
    public HostNameEndPoint? UdpSendToName { get; init; }
    public FramingKind Framing { get; init; } = FramingKind.U32LittleEndian;
    public int MaxFrame { get; init; } = FrameCodec.DefaultMaxFrame;
    public LogLevel LogLevel { get; init; } = LogLevel.Info;
    public UdpDataPath DataPath { get; init; } = UdpDataPath.Auto;

    /// <summary>Socket buffer requests in bytes; 0 leaves the OS default (for TCP: Linux's autotuning).</summary>
    public int UdpReceiveBuffer { get; init; } = DefaultUdpBuffer;
    public int UdpSendBuffer { get; init; } = DefaultUdpBuffer;
    public int TcpSendBuffer { get; init; }
    public int TcpReceiveBuffer { get; init; }

    /// <summary>--secret-file, if given; <see cref="Secret"/> holds what was loaded from it (or the environment).</summary>
    public string? SecretFile { get; init; }

    /// <summary>The shared secret for link authentication; null: no handshake, wire-compatible with the original tool.</summary>
    public byte[]? Secret { get; init; }

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Which peers may connect on the listen side.</summary>
    public AddressFilter TcpAllow { get; init; } = AddressFilter.Everyone;

    /// <summary>Accept datagrams on the bound port only from --udp-sendto.</summary>
    public bool UdpPeerOnly { get; init; }

    /// <summary>Declare a link dead after this long without an answer from the peer; 0 turns detection off.</summary>
    public int TcpTimeoutSeconds { get; init; } = DefaultTcpTimeout;

    public const int DefaultTcpTimeout = 30;

    /// <summary>Seconds idle before the first keepalive probe; null: a third of --tcp-timeout.</summary>
    public int? TcpKeepAliveSeconds { get; init; }

    /// <summary>TCP_NODELAY: send each batch at once (the default; coalescing is done per batch, not by Nagle).</summary>
    public bool TcpNoDelay { get; init; } = true;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(DefaultConnectTimeout);

    /// <summary>Datagrams that waited longer than this for the TCP link are dropped (see TimeBoundedQueue); zero: never.</summary>
    public TimeSpan QueueDelay { get; init; } = TimeSpan.FromMilliseconds(DefaultQueueDelayMilliseconds);

    public const int DefaultQueueDelayMilliseconds = 5;

    /// <summary>Datagrams up to this many bytes have a lane of their own, ahead of queued bulk (see SendScheduler); zero: one lane.</summary>
    public int PrioritySize { get; init; } = DefaultPrioritySize;

    public const int DefaultPrioritySize = 1000;

    /// <summary>The share of the link's bytes, in percent, that the small datagrams' lane may take ahead of bulk that waits; zero: no lane.</summary>
    public int PrioritySharePercent { get; init; } = DefaultPrioritySharePercent;

    public const int DefaultPrioritySharePercent = 50;

    /// <summary>How each link queues what goes UDP → TCP, from the options above.</summary>
    public QueuePolicy Queues => new(QueueDelay, PrioritySize, PrioritySharePercent / 100.0);

    public const int DefaultConnectTimeout = 10;

    /// <summary>SO_MARK for the TCP sockets (Linux policy routing); null: not set.</summary>
    public uint? FwMark { get; init; }

    /// <summary>--congestion: TCP_CONGESTION for the link sockets (Linux), e.g. "bbr"; null: the system's default.</summary>
    public string? Congestion { get; init; }

    /// <summary>--multi-client (listen side): each accepted link gets a UDP socket of its own (see ClientSessions).</summary>
    public bool MultiClient { get; init; }

    /// <summary>--max-clients: with --multi-client, connections past this many clients are refused.</summary>
    public int MaxClients { get; init; } = DefaultMaxClients;

    public const int DefaultMaxClients = 1024;

    /// <summary>Print a statistics line this often; 0: only at exit and on SIGUSR1.</summary>
    public int StatsIntervalSeconds { get; init; }

    /// <summary>UDP buffers sized for bursts; without CAP_NET_ADMIN, Linux grants at most net.core.rmem_max / wmem_max (see SocketBuffers).</summary>
    public const int DefaultUdpBuffer = 4 * 1024 * 1024;
    public bool ShowHelp { get; init; }
    public bool ShowVersion { get; init; }

    /// <summary>The option table: parsing and --help.</summary>
    public static IReadOnlyList<OptionSpec<TunnelOptionsParser.Draft>> Table => TunnelOptionsParser.Table;

    /// <summary>
    /// The type's name only. The record's own ToString listed every member, the secret's bytes among them;
    /// nothing prints the options, and that listing brought enum, TimeSpan and record formatting into the binary.
    /// </summary>
    public override string ToString() => nameof(TunnelOptions);

    /// <summary>Parses and validates (see <see cref="TunnelOptionsParser.Parse"/>).</summary>
    public static TunnelOptions Parse(ReadOnlySpan<string> args, string? dataPath = null, string? proxy = null) => TunnelOptionsParser.Parse(args, dataPath, proxy);
}
