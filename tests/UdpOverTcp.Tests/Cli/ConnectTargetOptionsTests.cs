using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Cli;

/// <summary>--tcp-connect and --udp-sendto as host names, and --proxy / $UDP_OVER_TCP_PROXY.</summary>
[UnitTest]
public class ConnectTargetOptionsTests
{
    [Fact]
    public void A_host_name_is_kept_as_a_name_to_resolve_before_each_dial()
    {
        var o = TunnelOptions.Parse(["-t", "vpn.example.org:443", "-u", "6000", "-p", "5000"]);
        Assert.Equal(TcpRole.Connect, o.Role);
        Assert.Null(o.TcpEndpoint);
        Assert.Equal(new HostNameEndPoint("vpn.example.org", 443), o.TcpConnectName);
        Assert.Equal(o.TcpConnectName, o.ConnectTarget);
    }

    [Fact]
    public void An_address_stays_an_address()
    {
        var o = TunnelOptions.Parse(["-t", "192.0.2.1:443", "-u", "6000", "-p", "5000"]);
        Assert.Null(o.TcpConnectName);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 443), o.ConnectTarget);
    }

    [Theory]
    [InlineData("localhost:80", "localhost")]
    [InlineData("a-b.c_d.example.:80", "a-b.c_d.example")]
    [InlineData("xn--bcher-kva.example:80", "xn--bcher-kva.example")]
    [InlineData("1host:80", "1host")]
    public void Names_that_are_names(string value, string host)
    {
        var o = TunnelOptions.Parse(["-t", value, "-u", "6000", "-p", "5000"]);
        Assert.Equal(host, o.TcpConnectName!.Host);
    }

    [Fact]
    public void Udp_sendto_takes_a_name_resolved_at_start()
    {
        var o = TunnelOptions.Parse(["-l", "7878", "-u", "6000", "-p", "app.internal:5000"]);
        Assert.Null(o.UdpSendTo);
        Assert.Equal(new HostNameEndPoint("app.internal", 5000), o.UdpSendToName);
    }

    [Fact]
    public void Proxy_url_http_with_credentials()
    {
        var o = TunnelOptions.Parse(["-t", "vpn.example.org:443", "-u", "6000", "-p", "5000", "--proxy", "http://alice:s%40cret:x@proxy.corp:3128/"]);
        var proxy = o.Proxy!;
        Assert.Equal(ProxyKind.HttpConnect, proxy.Kind);
        Assert.Equal(new HostNameEndPoint("proxy.corp", 3128), proxy.Server);
        Assert.Equal("alice", proxy.UserName);
        Assert.Equal("s@cret:x", proxy.Password);
        Assert.Equal("http proxy proxy.corp:3128", proxy.ToString());
        Assert.DoesNotContain("s@cret", o.ToString());
        Assert.DoesNotContain("alice", o.ToString());
    }

    [Theory]
    [InlineData("socks5://127.0.0.1:1080", ProxyKind.Socks5, "127.0.0.1:1080", null)]
    [InlineData("socks5h://u@[::1]:1080", ProxyKind.Socks5, "[::1]:1080", "u")]
    [InlineData("HTTP://10.0.0.1:8080", ProxyKind.HttpConnect, "10.0.0.1:8080", null)]
    public void Proxy_url_forms(string url, ProxyKind kind, string server, string? user)
    {
        var proxy = ProxyUri.Parse("--proxy", url);
        Assert.Equal(kind, proxy.Kind);
        Assert.Equal(server, ProxyUri.Format(proxy.Server));
        Assert.Equal(user, proxy.UserName);
    }

    [Fact]
    public void The_variable_sets_the_proxy_of_the_connect_side_only_and_the_option_wins()
    {
        string[] connect = ["-t", "192.0.2.1:443", "-u", "6000", "-p", "5000"];
        Assert.Equal(ProxyKind.Socks5, TunnelOptions.Parse(connect, proxy: "socks5://127.0.0.1:1080").Proxy!.Kind);
        Assert.Equal(ProxyKind.HttpConnect, TunnelOptions.Parse([.. connect, "--proxy", "http://127.0.0.1:3128"], proxy: "socks5://127.0.0.1:1080").Proxy!.Kind);
        Assert.Null(TunnelOptions.Parse(connect, proxy: "").Proxy);
        Assert.Null(TunnelOptions.Parse(["-l", "7878", "-u", "6000", "-p", "5000"], proxy: "socks5://127.0.0.1:1080").Proxy);
    }

    [Theory]
    [InlineData("--proxy: not a proxy URL; give http://[USER:PASSWORD@]HOST:PORT or socks5://[USER:PASSWORD@]HOST:PORT", "--proxy", "proxy.corp:3128")]
    [InlineData("--proxy: https:// (TLS to the proxy) is not supported; give http:// or socks5://", "--proxy", "https://proxy.corp:3128")]
    [InlineData("--proxy: scheme 'socks4' is not http or socks5", "--proxy", "socks4://proxy.corp:1080")]
    [InlineData("--proxy: give the proxy's port, e.g. http://HOST:3128", "--proxy", "http://proxy.corp")]
    [InlineData("--proxy: give the proxy's port, e.g. socks5://HOST:1080", "--proxy", "socks5://u:secret@[::1]")]
    [InlineData("--proxy: a proxy URL has no path, query or fragment; give http://[USER:PASSWORD@]HOST:PORT", "--proxy", "http://u:secret@proxy:3128/x")]
    [InlineData("--proxy: the user name before '@' is empty", "--proxy", "http://:secret@proxy:3128")]
    [InlineData("--proxy: a '%' in the user name or password is not followed by two hex digits", "--proxy", "http://u:secret%4@proxy:3128")]
    [InlineData("--proxy: port 0 is not a destination", "--proxy", "http://u:secret@proxy:0")]
    [InlineData("--proxy: 'pro xy' is neither an IP address nor a host name (IPv6 is written [::1]:PORT)", "--proxy", "http://u:secret@pro xy:3128")]
    public void Proxy_errors_never_echo_the_credentials(string message, string option, string value)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(["-t", "7878", "-u", "6000", "-p", "5000", option, value]));
        Assert.Equal(message, error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void A_socks5_password_longer_than_255_bytes_is_refused()
    {
        var error = Assert.Throws<UsageException>(() => ProxyUri.Parse("--proxy", $"socks5://u:{new string('p', 256)}@proxy:1080"));
        Assert.Equal("--proxy: SOCKS5 takes a user name and a password of at most 255 bytes each (RFC 1929)", error.Message);
    }

    [Fact]
    public void A_bad_variable_is_named_in_the_error()
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(["-t", "7878", "-u", "6000", "-p", "5000"], proxy: "ftp://proxy:21"));
        Assert.Equal("UDP_OVER_TCP_PROXY: scheme 'ftp' is not http or socks5", error.Message);
    }

    [Fact]
    public void Proxy_on_the_listen_side_is_a_usage_error()
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse(["-l", "7878", "-u", "6000", "-p", "5000", "--proxy", "http://127.0.0.1:3128"]));
        Assert.Equal("--proxy applies to --tcp-connect only", error.Message);
    }

    [Theory]
    [InlineData("-t", "name.example:80", "-l", "1")]
    [InlineData("-l", "1", "-t", "name.example:80")]
    public void A_name_and_a_listen_address_together_are_refused(params string[] tcp)
    {
        var error = Assert.Throws<UsageException>(() => TunnelOptions.Parse([.. tcp, "-u", "6000", "-p", "5000"]));
        Assert.Equal("give only one of --tcp-listen or --tcp-connect", error.Message);
    }

    [Theory]
    [InlineData("-bad-.example")]
    [InlineData("a..b")]
    [InlineData("under score!")]
    public void Not_host_names(string host) => Assert.False(EndpointParser.IsHostName(host));

    [Fact]
    public void Host_name_length_limits()
    {
        Assert.True(EndpointParser.IsHostName(new string('a', 63) + ".example"));
        Assert.False(EndpointParser.IsHostName(new string('a', 64) + ".example"));
        string long253 = string.Join('.', Enumerable.Repeat(new string('a', 62), 4)) + ".a";   // 4 * 63 + 1 = 253
        Assert.Equal(253, long253.Length);
        Assert.True(EndpointParser.IsHostName(long253));
        Assert.False(EndpointParser.IsHostName(long253 + "a"));
    }
}
