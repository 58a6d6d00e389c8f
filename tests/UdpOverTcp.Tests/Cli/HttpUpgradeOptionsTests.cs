using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Framing;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Cli;

/// <summary>--http-upgrade PATH and --tcp-connect http://HOST[:PORT]/PATH: both mean u16be frames; https:// adds TLS and the --tls-* options.</summary>
[UnitTest]
public class HttpUpgradeOptionsTests
{
    private static TunnelOptions Connect(params string[] more) => TunnelOptions.Parse([.. more, "-u", "6000", "-p", "5000"]);

    [Theory]
    [InlineData("http://vpn.example.org:8080/uot", "vpn.example.org", 8080, "vpn.example.org:8080", "/uot")]
    [InlineData("http://vpn.example.org/a/b?x=1", "vpn.example.org", 80, "vpn.example.org", "/a/b?x=1")]
    [InlineData("HTTP://vpn.example.org", "vpn.example.org", 80, "vpn.example.org", "/")]
    [InlineData("http://vpn.example.org:8080/uot#frag", "vpn.example.org", 8080, "vpn.example.org:8080", "/uot")]
    public void A_url_with_a_name_dials_the_name_and_asks_for_the_path(string url, string host, int port, string hostField, string path)
    {
        var o = Connect("-t", url);
        Assert.Equal(TcpRole.Connect, o.Role);
        Assert.Equal(new HostNameEndPoint(host, port), o.ConnectTarget);
        Assert.Equal(hostField, o.UpgradeHost);
        Assert.Equal(path, o.UpgradePath);
        Assert.Equal(FramingKind.U16BigEndian, o.Framing);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/uot", "127.0.0.1:8080")]
    [InlineData("http://[::1]:8080/uot", "[::1]:8080")]
    [InlineData("http://[::1]/uot", "[::1]:80")]
    public void A_url_with_an_address_dials_the_address(string url, string endpoint)
    {
        var o = Connect("-t", url);
        Assert.Equal(IPEndPoint.Parse(endpoint), o.ConnectTarget);
    }

    [Fact]
    public void Http_upgrade_on_the_listen_side_takes_the_path_with_or_without_its_slash()
    {
        Assert.Equal("/uot", Connect("-l", "7878", "--http-upgrade", "uot").UpgradePath);
        var o = Connect("-l", "7878", "--http-upgrade", "/uot/v1", "--framing", "u16be");
        Assert.Equal("/uot/v1", o.UpgradePath);
        Assert.Equal(FramingKind.U16BigEndian, o.Framing);
    }

    [Fact]
    public void Without_the_upgrade_the_framing_stays_the_default()
    {
        var o = Connect("-t", "127.0.0.1:7878");
        Assert.Null(o.UpgradePath);
        Assert.Equal(FramingKind.U32LittleEndian, o.Framing);
    }

    [Theory]
    [InlineData("ftp://vpn.example.org/uot", "--tcp-connect: 'ftp://vpn.example.org/uot' is not HOST:PORT or http[s]://HOST[:PORT]/PATH")]
    [InlineData("http:///uot", "--tcp-connect: 'http:///uot' has no HOST (credentials are not supported)")]
    [InlineData("http://u:p@host/uot", "--tcp-connect: 'http://u:p@host/uot' has no HOST (credentials are not supported)")]
    [InlineData("http://host/a b", "--tcp-connect: the path may hold no spaces or control characters (percent-encode them)")]
    [InlineData("http://host:0/uot", "--tcp-connect: port 0 is not a destination")]
    public void Bad_urls_are_one_line_usage_errors(string url, string message)
    {
        var error = Assert.Throws<UsageException>(() => Connect("-t", url));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Https_takes_443_by_default_and_the_tls_options()
    {
        var o = Connect("-t", "https://vpn.example.org/uot", "--tls-sni", "front.example", "--tls-ca", "/etc/ca.pem");
        Assert.True(o.Tls);
        Assert.Equal(443, o.TcpConnectName!.Port);
        Assert.Equal("/uot", o.UpgradePath);
        Assert.Equal(("front.example", "/etc/ca.pem"), (o.TlsSni, o.TlsCaFile));
        Assert.Equal(FramingKind.U16BigEndian, o.Framing);
        Assert.False(Connect("-t", "http://vpn.example.org/uot").Tls);
        Assert.NotNull(Connect("-t", "https://127.0.0.1:8443/uot", "--tls-pin", "sha256:" + new string('a', 64)).TlsPin);
    }

    [Theory]
    [InlineData("--tls-ca, --tls-sni and --tls-pin apply to --tcp-connect https:// only", "-t", "http://h/uot", "--tls-ca", "/ca.pem")]
    [InlineData("--tls-ca, --tls-sni and --tls-pin apply to --tcp-connect https:// only", "-t", "127.0.0.1:7878", "--tls-sni", "h")]
    [InlineData("--tls-ca, --tls-sni and --tls-pin apply to --tcp-connect https:// only", "-l", "7878", "--tls-pin", "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("--tls-pin replaces CA verification: give --tls-pin or --tls-ca, not both", "-t", "https://h/uot", "--tls-ca", "/ca.pem", "--tls-pin", "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("--tls-pin: 'md5:ab' is not a pin: expected sha256: and 64 hex digits", "-t", "https://h/uot", "--tls-pin", "md5:ab")]
    public void Tls_option_misuse_is_a_usage_error(string message, params string[] args)
    {
        Assert.Equal(message, Assert.Throws<UsageException>(() => Connect(args)).Message);
    }

    [Theory]
    [InlineData("-l", "7878", "--http-upgrade", "/uot", "--framing", "u32le")]
    [InlineData("-t", "http://127.0.0.1:8080/uot", "--framing", "u32le")]
    public void An_explicit_u32le_with_the_upgrade_is_a_usage_error(params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => Connect(args));
        Assert.Equal("--framing u32le: the HTTP Upgrade (UoTLV/1) carries u16be frames; leave --framing out", error.Message);
    }

    [Theory]
    [InlineData("", "--http-upgrade: '' is not a URL path (no spaces, '?' or '#')")]
    [InlineData("/a b", "--http-upgrade: '/a b' is not a URL path (no spaces, '?' or '#')")]
    [InlineData("/uot?x", "--http-upgrade: '/uot?x' is not a URL path (no spaces, '?' or '#')")]
    public void Bad_listen_paths_are_usage_errors(string path, string message)
    {
        var error = Assert.Throws<UsageException>(() => Connect("-l", "7878", "--http-upgrade", path));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Http_upgrade_is_for_the_listen_side()
    {
        var error = Assert.Throws<UsageException>(() => Connect("-t", "127.0.0.1:7878", "--http-upgrade", "/uot"));
        Assert.Equal("--http-upgrade applies to --tcp-listen only; the connect side gives --tcp-connect http://HOST:PORT/PATH", error.Message);
        Assert.Throws<UsageException>(() => Connect("-t", "http://127.0.0.1:8080/uot", "--http-upgrade", "/uot"));
    }
}
