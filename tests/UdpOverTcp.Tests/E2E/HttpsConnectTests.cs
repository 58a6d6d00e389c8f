using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// --tcp-connect https://HOST:PORT/PATH with real peers on loopback: our connect side ⇄ TLS 1.3 nginx
/// (location /tunnel; its page at /) ⇄ our --http-upgrade listen side, verified by a CA (--tls-ca) or a
/// pin (--tls-pin), directly or through tinyproxy's CONNECT, with --secret-file on top; and every
/// certificate failure: one line with the reason, a retry, no link, and no HTTP request reaching nginx.
/// </summary>
[EndToEndTest]
public sealed class HttpsConnectTests : IDisposable
{
    private const int Count = 200;
    private const string UpgradePath = "/tunnel";
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    /// <summary>With either data path's link loops on the connect side (threaded on Linux by default, or the engine's).</summary>
    [SkippableTheory]
    [InlineData("batched")]
    [InlineData("portable")]
    public async Task Verified_by_the_test_CA_through_nginx_to_our_listen_side(string io)
    {
        var ca = _certificates.Authority();
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        var server = _certificates.SignedBy(ca);
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, server);
        tunnels.StartConnectSide(
            ["--tcp-connect", $"https://localhost:{nginx.Port}{UpgradePath}", "--tls-ca", ca.Certificate],
            environment: new Dictionary<string, string> { ["UDP_OVER_TCP_IO"] = io });
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: 41);
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"https://127.0.0.1:{nginx.Port}/", trusted: server));
        await tunnels.ExchangeBothWaysAsync(Count, seed: 42);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pinned_self_signed_certificate_or_its_key(bool publicKey)
    {
        var selfSigned = _certificates.SelfSigned();
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, selfSigned);
        tunnels.StartConnectSide(["--tcp-connect", nginx.UpgradeUrl, "--tls-pin", selfSigned.Pin(publicKey)]);
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: publicKey ? 43 : 44);
    }

    [SkippableFact]
    public async Task Through_tinyproxy_CONNECT_with_a_secret_on_both_ends()
    {
        var ca = _certificates.Authority();
        string secret = SecretFile.Write(_certificates.Directory, "secret", "correct horse battery staple, over TLS\n");
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath], CommonArgs = ["--secret-file", secret] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, _certificates.SignedBy(ca));
        using var proxy = await ProxyServer.TinyproxyAsync(connectPort: nginx.Port);
        tunnels.StartConnectSide(["--tcp-connect", nginx.UpgradeUrl, "--tls-ca", ca.Certificate, "--proxy", $"http://127.0.0.1:{proxy.Port}"]);
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: 45);
    }

    /// <summary>Each certificate failure: the reason in one line, then a retry; never a link, never HTTP (nginx logs no request).</summary>
    [SkippableTheory]
    [InlineData("name", "certificate verify failed: hostname mismatch;")]
    [InlineData("expired", "certificate verify failed: certificate has expired;")]
    [InlineData("unknown-ca", "certificate verify failed: unable to get local issuer certificate;")]
    [InlineData("pin", "pin mismatch: got sha256:")]
    public async Task Certificate_failures_are_logged_retried_and_never_fall_back_to_plaintext(string failure, string reason)
    {
        var ca = _certificates.Authority();
        var certificate = failure == "expired" ? _certificates.Expired(ca) : _certificates.SignedBy(ca);
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, certificate);
        string[] verification = failure switch
        {
            "name" => ["--tls-ca", ca.Certificate, "--tls-sni", "other.example"],
            "unknown-ca" => [],
            "pin" => ["--tls-pin", "sha256:" + new string('0', 64)],
            _ => ["--tls-ca", ca.Certificate],
        };
        tunnels.StartConnectSide(["--tcp-connect", nginx.UpgradeUrl, .. verification]);

        string expected = $"connect to {nginx.UpgradeUrl} failed: {reason}";
        string first = await tunnels.ConnectSide!.WaitForLineAsync(expected);
        await tunnels.ConnectSide.WaitForLineAsync(expected, occurrence: 2);
        Assert.Matches(@"; retrying in \d+\.\d s$", first);
        Assert.DoesNotContain(tunnels.ConnectSide.Lines, l => l.Contains("link up", StringComparison.Ordinal));
        Assert.DoesNotContain(tunnels.ListenSide!.Lines, l => l.Contains("accepted", StringComparison.Ordinal));
        Assert.DoesNotContain(UpgradePath, nginx.AccessLog);   // no request got through: the handshake failed first
    }

    /// <summary>A server that accepts and never answers the ClientHello: --connect-timeout closes the socket, which ends the blocking handshake.</summary>
    [SkippableFact]
    public async Task A_silent_server_runs_the_handshake_out_of_connect_timeout_and_is_retried()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await using var tunnels = new ConnectSideTunnels();
        tunnels.StartConnectSide(["--tcp-connect", $"https://127.0.0.1:{port}/tunnel", "--connect-timeout", "1"]);

        using var accepted = await listener.AcceptAsync().Within("the connect side's connection");
        string line = await tunnels.ConnectSide!.WaitForLineAsync(
            $"connect to https://127.0.0.1:{port}/tunnel failed: no TLS handshake and http upgrade answer within --connect-timeout (1 s); retrying in");
        Assert.DoesNotContain(tunnels.ConnectSide.Lines, l => l.Contains("link up", StringComparison.Ordinal));
        byte[] hello = new byte[5];
        Assert.Equal(5, await accepted.ReceiveAsync(hello).Within("the ClientHello"));
        Assert.Equal(0x16, hello[0]);   // a TLS handshake record, not HTTP
        Assert.NotNull(line);
    }

    [SkippableFact]
    public async Task A_CA_file_that_is_missing_fails_at_start_with_one_line()
    {
        var (code, _, stderr) = await TunnelProcess.RunAsync(
            "-t", "https://127.0.0.1:9/tunnel", "--tls-ca", "/nonexistent/ca.pem", "-u", "0", "-p", "9");
        Assert.Equal(1, code);
        Assert.Single(stderr);
        Assert.Contains("cannot start: --tcp-connect https://: CA file '/nonexistent/ca.pem' does not exist", stderr[0]);
    }
}
