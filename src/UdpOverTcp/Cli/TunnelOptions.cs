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

    /// <summary>UDP buffers sized for bursts; the OS may grant less (net.core.rmem_max / wmem_max).</summary>
    public const int DefaultUdpBuffer = 4 * 1024 * 1024;
    public bool ShowHelp { get; set; }
    public bool ShowVersion { get; set; }

    public static readonly IReadOnlyList<OptionSpec<TunnelOptions>> Table =
    [
        new("tcp-listen", 'l', "ADDR", "listen for the TCP peer (address defaults to 0.0.0.0)",
            (o, v) => o.SetTcp(TcpRole.Listen, EndpointParser.Parse("--tcp-listen", v!, IPAddress.Any, allowPortZero: true))),
        new("tcp-connect", 't', "ADDR", "connect to the TCP peer, reconnecting as needed (defaults to 127.0.0.1)",
            (o, v) => o.SetTcp(TcpRole.Connect, EndpointParser.Parse("--tcp-connect", v!, IPAddress.Loopback, allowPortZero: false))),
        new("udp-bind", 'u', "ADDR", "UDP socket that receives from the app and sends to it (defaults to 0.0.0.0)",
            (o, v) => o.UdpBind = EndpointParser.Parse("--udp-bind", v!, IPAddress.Any, allowPortZero: true)),
        new("udp-sendto", 'p', "ADDR", "where datagrams from the TCP peer are delivered (defaults to 127.0.0.1)",
            (o, v) => o.UdpSendTo = EndpointParser.Parse("--udp-sendto", v!, IPAddress.Loopback, allowPortZero: false)),
        new("framing", null, "KIND", "u32le: 4-byte little-endian length (default, the original Rust tool); u16be: RFC 4571",
            (o, v) => o.Framing = ParseFraming(v!)),
        new("max-frame", null, "BYTES", $"close a link whose peer announces a longer datagram (default {FrameCodec.DefaultMaxFrame})",
            (o, v) => o.MaxFrame = ParseMaxFrame(v!)),
        new("udp-recv-buffer", null, "BYTES", "UDP receive buffer to ask the OS for, e.g. 4M (default 4M; 0 = OS default)",
            (o, v) => o.UdpReceiveBuffer = ByteSize.Parse("--udp-recv-buffer", v!)),
        new("udp-send-buffer", null, "BYTES", "UDP send buffer (default 4M; 0 = OS default)",
            (o, v) => o.UdpSendBuffer = ByteSize.Parse("--udp-send-buffer", v!)),
        new("tcp-send-buffer", null, "BYTES", "TCP send buffer (default 0: the OS's autotuning)",
            (o, v) => o.TcpSendBuffer = ByteSize.Parse("--tcp-send-buffer", v!)),
        new("tcp-recv-buffer", null, "BYTES", "TCP receive buffer (default 0: the OS's autotuning)",
            (o, v) => o.TcpReceiveBuffer = ByteSize.Parse("--tcp-recv-buffer", v!)),
        new("secret-file", null, "PATH", "authenticate links with the secret in PATH (or $UDP_OVER_TCP_SECRET); both ends the same",
            (o, v) => o.SecretFile = v),
        new("tcp-allow", null, "CIDRS", "listen side: accept TCP peers only from these ranges, e.g. 127.0.0.1,10.0.0.0/8",
            (o, v) => o.TcpAllow = AddressFilter.Parse("--tcp-allow", v!)),
        new("udp-peer-only", null, null, "forward only datagrams that come from the --udp-sendto address",
            (o, _) => o.UdpPeerOnly = true),
        new("tcp-timeout", null, "SECONDS", $"declare a silent peer dead after about this long (keepalive; default {DefaultTcpTimeout}, 0 = off)",
            (o, v) => o.TcpTimeoutSeconds = ParseSeconds("--tcp-timeout", v!)),
        new("verbose", 'v', null, "log each link event in detail (debug level)",
            (o, _) => o.SetLogLevel(LogLevel.Debug)),
        new("quiet", 'q', null, "log only warnings and errors",
            (o, _) => o.SetLogLevel(LogLevel.Warn)),
        new("help", 'h', null, "print this help and exit",
            (o, _) => o.ShowHelp = true),
        new("version", 'V', null, "print the version and exit",
            (o, _) => o.ShowVersion = true),
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
        if (TcpEndpoint is not null)
        {
            throw new UsageException("give only one of --tcp-listen or --tcp-connect");
        }

        Role = role;
        TcpEndpoint = endpoint;
    }

    private void SetLogLevel(LogLevel level)
    {
        if (LogLevel != LogLevel.Info)
        {
            throw new UsageException("give only one of --verbose or --quiet");
        }

        LogLevel = level;
    }

    private static int ParseSeconds(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds > 3600)
        {
            throw new UsageException($"{option}: '{value}' is not a number of seconds from 0 to 3600");
        }

        return seconds;
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
