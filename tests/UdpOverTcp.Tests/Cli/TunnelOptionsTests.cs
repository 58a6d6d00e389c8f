using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Framing;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Cli;

[UnitTest]
public class TunnelOptionsTests
{
    [Theory]
    [InlineData("--tcp-listen", "7878", "--udp-bind", "5000", "--udp-sendto", "6000")]
    [InlineData("--tcp-listen=7878", "--udp-bind=5000", "--udp-sendto=6000")]
    [InlineData("-l", "7878", "-u", "5000", "-p", "6000")]
    [InlineData("-l7878", "-u5000", "-p6000")]
    [InlineData("-p", "6000", "-u", "5000", "-l", "7878")]
    public void Every_spelling_of_the_listen_example_means_the_same(params string[] args)
    {
        var o = TunnelOptions.Parse(args);
        Assert.Equal(TcpRole.Listen, o.Role);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7878), o.TcpEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 5000), o.UdpBind);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 6000), o.UdpSendTo);
        Assert.Equal(FramingKind.U32LittleEndian, o.Framing);
        Assert.Equal(65535, o.MaxFrame);
        Assert.Equal(LogLevel.Info, o.LogLevel);
    }

    [Fact]
    public void Connect_defaults_to_loopback()
    {
        var o = TunnelOptions.Parse(["--tcp-connect", "7878", "--udp-bind", "6000", "--udp-sendto", "5000"]);
        Assert.Equal(TcpRole.Connect, o.Role);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7878), o.TcpEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 6000), o.UdpBind);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5000), o.UdpSendTo);
    }

    [Fact]
    public void Explicit_addresses_including_ipv6_are_kept()
    {
        var o = TunnelOptions.Parse(["-t", "[::1]:7878", "-u", "[::]:6000", "-p", "127.0.0.2:5000"]);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7878), o.TcpEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 6000), o.UdpBind);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 5000), o.UdpSendTo);
    }

    [Fact]
    public void Ipv6_on_both_udp_sides()
    {
        var o = TunnelOptions.Parse(["-l", "[::1]:7878", "-u", "[::1]:6000", "-p", "[::1]:5000"]);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 5000), o.UdpSendTo);
    }

    [Fact]
    public void Port_zero_binds_anywhere()
    {
        var o = TunnelOptions.Parse(["-l", "0", "-u", "0", "-p", "1"]);
        Assert.Equal(0, o.TcpEndpoint!.Port);
        Assert.Equal(0, o.UdpBind!.Port);
    }

    [Theory]
    [InlineData("u32le", FramingKind.U32LittleEndian)]
    [InlineData("u16be", FramingKind.U16BigEndian)]
    public void Framing_is_selectable(string value, FramingKind expected)
    {
        Assert.Equal(expected, TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--framing", value]).Framing);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1500", 1500)]
    [InlineData("65535", 65535)]
    public void Max_frame_is_settable(string value, int expected)
    {
        Assert.Equal(expected, TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--max-frame", value]).MaxFrame);
    }

    [Theory]
    [InlineData("-v", LogLevel.Debug)]
    [InlineData("--verbose", LogLevel.Debug)]
    [InlineData("-q", LogLevel.Warn)]
    [InlineData("--quiet", LogLevel.Warn)]
    public void Log_level_flags(string flag, LogLevel expected)
    {
        Assert.Equal(expected, TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", flag]).LogLevel);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Help_needs_nothing_else(string flag) => Assert.True(TunnelOptions.Parse([flag]).ShowHelp);

    [Theory]
    [InlineData("-V")]
    [InlineData("--version")]
    public void Version_needs_nothing_else(string flag) => Assert.True(TunnelOptions.Parse([flag]).ShowVersion);

    [Theory]
    [InlineData("give one of --tcp-listen or --tcp-connect", "-u", "1", "-p", "2")]
    [InlineData("give only one of --tcp-listen or --tcp-connect", "-l", "1", "-t", "2", "-u", "1", "-p", "2")]
    [InlineData("--udp-bind is required", "-l", "1", "-p", "2")]
    [InlineData("--udp-sendto is required", "-l", "1", "-u", "2")]
    [InlineData("unknown option '--tcp-lisen'", "--tcp-lisen", "1")]
    [InlineData("unknown option '-x'", "-x", "1")]
    [InlineData("unexpected argument '7878'", "7878")]
    [InlineData("unexpected argument '-'", "-")]
    [InlineData("--udp-bind needs a value (ADDR)", "-l", "1", "-p", "2", "-u")]
    [InlineData("--udp-bind given more than once", "-u", "1", "--udp-bind", "2")]
    [InlineData("--help takes no value", "--help=yes")]
    [InlineData("-h takes no value (in '-hx')", "-hx")]
    [InlineData("--tcp-listen: port '70000' is not a number from 0 to 65535", "-l", "70000")]
    [InlineData("--tcp-listen: port '' is not a number from 0 to 65535", "-l", "127.0.0.1:")]
    [InlineData("--tcp-listen: port '+80' is not a number from 0 to 65535", "-l", "1.2.3.4:+80")]
    [InlineData("--tcp-connect: 'abc' is not PORT, HOST:PORT or [IPv6]:PORT", "-t", "abc")]
    [InlineData("--tcp-connect: '' is not PORT, ADDR:PORT or [IPv6]:PORT", "-t", "")]
    [InlineData("--tcp-connect: 'local host' is neither an IP address nor a host name (IPv6 is written [::1]:PORT)", "-t", "local host:80")]
    [InlineData("--tcp-connect: '::1' is not PORT, ADDR:PORT or [IPv6]:PORT", "-t", "::1")]
    [InlineData("--tcp-connect: '[::1]' is not PORT, ADDR:PORT or [IPv6]:PORT", "-t", "[::1]")]
    [InlineData("--tcp-connect: '1.2.3' is not an IP address (IPv6 is written [::1]:PORT)", "-t", "1.2.3:80")]
    [InlineData("--tcp-connect: port 0 is not a destination", "-t", "0")]
    [InlineData("--udp-sendto: port 0 is not a destination", "-p", "127.0.0.1:0")]
    [InlineData("--framing: 'u32be' is not u32le or u16be", "--framing", "u32be")]
    [InlineData("--max-frame: '0' is not a number from 1 to 65535", "--max-frame", "0")]
    [InlineData("--max-frame: '65536' is not a number from 1 to 65535", "--max-frame", "65536")]
    [InlineData("--max-frame: '-5' is not a number from 1 to 65535", "--max-frame", "-5")]
    [InlineData("give only one of --verbose, --quiet or --log-level", "-v", "-q")]
    [InlineData("--udp-bind and --udp-sendto must both be IPv4 or both IPv6 (or bind [::]:PORT)", "-l", "1", "-u", "2", "-p", "[::1]:3")]
    [InlineData("--udp-bind and --udp-sendto must both be IPv4 or both IPv6 (or bind [::]:PORT)", "-l", "1", "-u", "[::1]:2", "-p", "3")]
    public void Usage_errors_say_what_is_wrong(string message, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(args));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Dual_mode_bind_may_send_to_ipv4()
    {
        var o = TunnelOptions.Parse(["-l", "1", "-u", "[::]:2", "-p", "3"]);
        Assert.Equal(IPAddress.Loopback, o.UdpSendTo!.Address);
    }

    [Fact]
    public void Help_lists_every_option_of_the_table()
    {
        string help = HelpText.Tunnel();
        foreach (var spec in TunnelOptions.Table)
        {
            Assert.Contains(spec.Display, help);
            Assert.Contains(spec.Help, help);
        }
    }

    [Theory]
    [InlineData(null, UdpDataPath.Auto)]
    [InlineData("", UdpDataPath.Auto)]
    [InlineData("auto", UdpDataPath.Auto)]
    [InlineData("portable", UdpDataPath.Portable)]
    [InlineData("batched", UdpDataPath.Batched)]
    [NeedsLinux]   // batched is a usage error elsewhere
    public void Data_path_comes_from_the_environment_variable(string? value, UdpDataPath expected)
    {
        Assert.Equal(expected, TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3"], value).DataPath);
    }

    [Fact]
    public void Unknown_data_path_is_a_usage_error()
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3"], "fast"));
        Assert.Equal("UDP_OVER_TCP_IO: 'fast' is not auto, portable or batched", error.Message);
    }

    [Fact]
    public void Buffer_defaults_ask_4M_for_udp_and_leave_tcp_to_the_os()
    {
        var o = TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3"]);
        Assert.Equal(4 << 20, o.UdpReceiveBuffer);
        Assert.Equal(4 << 20, o.UdpSendBuffer);
        Assert.Equal(0, o.TcpSendBuffer);
        Assert.Equal(0, o.TcpReceiveBuffer);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("212992", 212992)]
    [InlineData("256k", 256 * 1024)]
    [InlineData("8M", 8 << 20)]
    [InlineData("1024M", 1 << 30)]
    public void Buffer_sizes_take_k_and_m_suffixes(string value, int expected)
    {
        var o = TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--udp-recv-buffer", value, "--udp-send-buffer", value, "--tcp-send-buffer", value, "--tcp-recv-buffer", value]);
        Assert.Equal([expected, expected, expected, expected], new[] { o.UdpReceiveBuffer, o.UdpSendBuffer, o.TcpSendBuffer, o.TcpReceiveBuffer });
    }

    [Theory]
    [InlineData("--udp-recv-buffer", "1025M")]
    [InlineData("--udp-send-buffer", "-1")]
    [InlineData("--tcp-send-buffer", "4G")]
    [InlineData("--tcp-recv-buffer", "M")]
    [InlineData("--tcp-recv-buffer", "1.5M")]
    public void Bad_buffer_sizes_are_usage_errors(string option, string value)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", option, value]));
        Assert.Equal($"{option}: '{value}' is not a size from 0 to 1024M (bytes, or with a K or M suffix)", error.Message);
    }

    [Fact]
    public void Hardening_options()
    {
        var o = TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--secret-file", "/etc/uot.key", "--tcp-allow", "127.0.0.1,10.0.0.0/8,::1", "--udp-peer-only", "--tcp-timeout", "7"]);
        Assert.Equal("/etc/uot.key", o.SecretFile);
        Assert.Null(o.Secret);   // loaded later, by Entry, so parsing never touches the file system
        Assert.Equal(["127.0.0.1/32", "10.0.0.0/8", "::1/128"], o.TcpAllow.Networks.Select(n => n.ToString()));
        Assert.True(o.UdpPeerOnly);
        Assert.Equal(7, o.TcpTimeoutSeconds);
    }

    [Fact]
    public void Hardening_defaults()
    {
        var o = TunnelOptions.Parse(["-t", "1", "-u", "2", "-p", "3"]);
        Assert.Null(o.SecretFile);
        Assert.True(o.TcpAllow.IsEmpty);
        Assert.False(o.UdpPeerOnly);
        Assert.Equal(30, o.TcpTimeoutSeconds);
    }

    [Theory]
    [InlineData("--tcp-allow: '10.0.0.0/33' is not an address or CIDR range (e.g. 192.0.2.0/24, ::1)", "-l", "1", "--tcp-allow", "10.0.0.0/33")]
    [InlineData("--tcp-allow: 'localhost' is not an address or CIDR range (e.g. 192.0.2.0/24, ::1)", "-l", "1", "--tcp-allow", "localhost")]
    [InlineData("--tcp-allow: '' is not an address or CIDR range (e.g. 192.0.2.0/24, ::1)", "-l", "1", "--tcp-allow", "127.0.0.1,")]
    [InlineData("--tcp-allow applies to --tcp-listen only", "-t", "1", "--tcp-allow", "127.0.0.1")]
    [InlineData("--tcp-timeout: 'x' is not a number of seconds from 0 to 3600", "-l", "1", "--tcp-timeout", "x")]
    [InlineData("--tcp-timeout: '3601' is not a number of seconds from 0 to 3600", "-l", "1", "--tcp-timeout", "3601")]
    [InlineData("--udp-peer-only takes no value", "-l", "1", "--udp-peer-only=yes")]
    [InlineData("--multi-client applies to --tcp-listen only", "-t", "1", "--multi-client")]
    [InlineData("--max-clients needs --multi-client", "-l", "1", "--max-clients", "10")]
    [InlineData("--max-clients: '0' is not a number from 1 to 1000000", "-l", "1", "--multi-client", "--max-clients", "0")]
    public void Hardening_usage_errors(string message, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse([.. args, "-u", "2", "-p", "3"]));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Multi_client_is_off_by_default_and_takes_a_limit()
    {
        var single = TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3"]);
        Assert.False(single.MultiClient);
        var multi = TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--multi-client", "--max-clients", "50"]);
        Assert.True(multi.MultiClient);
        Assert.Equal(50, multi.MaxClients);
        Assert.Equal(TunnelOptions.DefaultMaxClients, TunnelOptions.Parse(["-l", "1", "-u", "2", "-p", "3", "--multi-client"]).MaxClients);
    }
}
