using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Cli;

/// <summary>The operational flags: several listen addresses, statistics, log levels, TCP options.</summary>
[UnitTest]
public sealed class OperationsOptionsTests
{
    private static TunnelOptions Parse(params string[] extra) => TunnelOptions.Parse(["-l", "7878", "-u", "5000", "-p", "6000", .. extra]);

    [Fact]
    public void Defaults()
    {
        var o = Parse();
        Assert.Empty(o.MoreListenEndpoints);
        Assert.Equal(0, o.StatsIntervalSeconds);
        Assert.True(o.TcpNoDelay);
        Assert.Null(o.TcpKeepAliveSeconds);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ConnectTimeout);
        Assert.Null(o.FwMark);
        Assert.Null(o.Congestion);
        Assert.Equal(LogLevel.Info, o.LogLevel);
    }

    [Theory]
    [InlineData("bbr")]
    [InlineData("cubic")]
    [InlineData("scalable_2-x")]
    [InlineData("fifteen_letters")]
    public void Congestion_takes_a_kernel_name(string name) => Assert.Equal(name, Parse("--congestion", name).Congestion);

    [Theory]
    [InlineData("")]
    [InlineData("b b r")]
    [InlineData("bbr\0")]
    [InlineData("sixteen_letters!")]
    [InlineData("sixteen_letterss")]
    [InlineData("bbr;reboot")]
    public void Congestion_refuses_what_cannot_be_a_kernel_name(string name)
    {
        var error = Assert.Throws<UsageException>(() => Parse("--congestion", name));
        Assert.Equal($"--congestion: '{name}' is not a congestion control name (e.g. cubic or bbr; at most 15 letters, digits, '_' or '-')", error.Message);
    }

    [Fact]
    public void Tcp_listen_may_be_repeated_for_more_addresses()
    {
        var o = Parse("-l", "[::]:7878", "--tcp-listen=127.0.0.2:7879");
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7878), o.TcpEndpoint);
        Assert.Equal([new IPEndPoint(IPAddress.IPv6Any, 7878), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7879)], o.MoreListenEndpoints);
    }

    [Theory]
    [InlineData("give only one of --tcp-listen or --tcp-connect", "-l", "1", "-t", "2")]
    [InlineData("give only one of --tcp-listen or --tcp-connect", "-t", "2", "-l", "1")]
    [InlineData("--tcp-connect given more than once", "-t", "2", "-t", "3")]
    public void Listen_and_connect_still_exclude_each_other(string message, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse([.. args, "-u", "5", "-p", "6"]));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData(LogLevel.Debug, "-v")]
    [InlineData(LogLevel.Debug, "--verbose")]
    [InlineData(LogLevel.Trace, "-vv")]
    [InlineData(LogLevel.Trace, "-v", "-v")]
    [InlineData(LogLevel.Trace, "--verbose", "--verbose")]
    [InlineData(LogLevel.Warn, "-q")]
    [InlineData(LogLevel.Error, "--log-level", "error")]
    [InlineData(LogLevel.Warn, "--log-level=warn")]
    [InlineData(LogLevel.Info, "--log-level", "info")]
    [InlineData(LogLevel.Debug, "--log-level", "debug")]
    [InlineData(LogLevel.Trace, "--log-level", "trace")]
    public void Log_levels(LogLevel expected, params string[] args) => Assert.Equal(expected, Parse(args).LogLevel);

    [Fact]
    public void Tcp_options()
    {
        var o = Parse("--no-tcp-nodelay", "--tcp-keepalive", "7", "--connect-timeout", "3", "--stats", "60");
        Assert.False(o.TcpNoDelay);
        Assert.Equal(7, o.TcpKeepAliveSeconds);
        Assert.Equal(TimeSpan.FromSeconds(3), o.ConnectTimeout);
        Assert.Equal(60, o.StatsIntervalSeconds);
        Assert.True(Parse("--tcp-nodelay").TcpNoDelay);
    }

    [Theory]
    [InlineData("42", 42u)]
    [InlineData("0x2a", 42u)]
    [InlineData("0XFFFFFFFF", uint.MaxValue)]
    [InlineData("4294967295", uint.MaxValue)]
    public void Fwmark_in_decimal_or_hex(string value, uint expected)
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(expected, Parse("--fwmark", value).FwMark);
        }
        else
        {
            Assert.Equal("--fwmark needs Linux (SO_MARK)", Assert.Throws<UsageException>(() => Parse("--fwmark", value)).Message);
        }
    }

    [Theory]
    [InlineData("--verbose at most twice (-vv)", "-vvv")]
    [InlineData("--verbose at most twice (-vv)", "-v", "-v", "-v")]
    [InlineData("-v takes no value (in '-vq')", "-vq")]
    [InlineData("give only one of --verbose, --quiet or --log-level", "-v", "-q")]
    [InlineData("give only one of --verbose, --quiet or --log-level", "-q", "-v")]
    [InlineData("give only one of --verbose, --quiet or --log-level", "--log-level", "debug", "-v")]
    [InlineData("--quiet given more than once", "-q", "-q")]
    [InlineData("--log-level: 'loud' is not error, warn, info, debug or trace", "--log-level", "loud")]
    [InlineData("give only one of --tcp-nodelay or --no-tcp-nodelay", "--tcp-nodelay", "--no-tcp-nodelay")]
    [InlineData("--no-tcp-nodelay takes no value", "--no-tcp-nodelay=1")]
    [InlineData("--fwmark: 'mark' is not a 32-bit number (decimal or 0x hex)", "--fwmark", "mark")]
    [InlineData("--fwmark: '4294967296' is not a 32-bit number (decimal or 0x hex)", "--fwmark", "4294967296")]
    [InlineData("--fwmark: '-1' is not a 32-bit number (decimal or 0x hex)", "--fwmark", "-1")]
    [InlineData("--tcp-keepalive: '0' is not a number of seconds from 1 to 3600", "--tcp-keepalive", "0")]
    [InlineData("--connect-timeout: '0' is not a number of seconds from 1 to 3600", "--connect-timeout", "0")]
    [InlineData("--connect-timeout: 'soon' is not a number of seconds from 1 to 3600", "--connect-timeout", "soon")]
    [InlineData("--stats: '-5' is not a number of seconds from 0 to 3600", "--stats", "-5")]
    [InlineData("--stats needs a value (SECONDS)", "--stats")]
    public void Usage_errors(string message, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Equal(message, error.Message);
    }
}
