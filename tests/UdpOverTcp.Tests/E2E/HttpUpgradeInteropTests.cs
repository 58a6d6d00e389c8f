using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The tunnel's HTTP Upgrade (--http-upgrade PATH on the listen side, --tcp-connect http://HOST:PORT/PATH
/// on the connect side; u16be framing, ProxyGuard's "UoTLV/1") with real peers, all on loopback:
/// eduVPN's ProxyGuard client and server in either role, the client also over HTTPS (TLS 1.3) through
/// nginx, nginx proxying the upgrade at /tunnel while it serves its page at /, and tinyproxy's CONNECT
/// in front of nginx. WireGuard-sized datagrams both ways, each checked for content, size (its
/// boundaries kept), order and source.
/// </summary>
[EndToEndTest]
public sealed class HttpUpgradeInteropTests
{
    private const int Count = 200;
    private const string UpgradePath = "/tunnel";

    /// <summary>
    /// app X (127.0.0.1:F) ⇄ proxyguard-client (UDP L) ⇄ HTTP Upgrade ⇄ our listen side (UDP AY) ⇄ app Y;
    /// with <paramref name="tls"/>, https://localhost:PORT/tunnel to our listen side terminating TLS itself
    /// (--tls-cert, a certificate from the tests' CA, which SSL_CERT_FILE makes Go trust).
    /// </summary>
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProxyGuard_client_to_our_listen_side(bool tls)
    {
        using var certificates = new TestCertificates();
        var ca = certificates.Authority();
        var server = certificates.SignedBy(ca);
        string[] terminate = tls ? ["--tls-cert", server.Certificate, "--tls-key", server.Key] : [];
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath, .. terminate] };
        await tunnels.StartListenSideAsync();
        using var client = await ProxyGuardPeer.ClientAsync(
            FreePort.Udp(), tunnels.AppX.EndPoint.Port, $"{(tls ? "https" : "http")}://localhost:{tunnels.TcpPort}{UpgradePath}",
            environment: new Dictionary<string, string> { ["SSL_CERT_FILE"] = ca.Certificate });

        await ProxyGuardClientExchangeAsync(tunnels, client, seed: tls ? 8 : 1);
        await tunnels.ListenSide!.WaitForLineAsync("link up: accepted");
        await client.Process.WaitForLineAsync("[Client] Connected to HTTP server, ready for proxying traffic...");
    }

    /// <summary>
    /// app X ⇄ proxyguard-client ⇄ https://localhost:PORT/tunnel: nginx (TLS 1.3 only, a certificate from
    /// the tests' CA) ⇄ our listen side ⇄ app Y; nginx serves its page at / all the while. The client is
    /// Go, whose system roots on Linux are SSL_CERT_FILE's when it is set: that is how it trusts the CA.
    /// </summary>
    [SkippableFact]
    public async Task ProxyGuard_client_over_https_through_nginx_to_our_listen_side()
    {
        using var certificates = new TestCertificates();
        var ca = certificates.Authority();
        var server = certificates.SignedBy(ca);
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, server);
        using var client = await ProxyGuardPeer.ClientAsync(
            FreePort.Udp(), tunnels.AppX.EndPoint.Port, $"https://localhost:{nginx.Port}{UpgradePath}",
            environment: new Dictionary<string, string> { ["SSL_CERT_FILE"] = ca.Certificate });

        await ProxyGuardClientExchangeAsync(tunnels, client, seed: 6);
        await tunnels.ListenSide!.WaitForLineAsync("link up: accepted");
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"https://127.0.0.1:{nginx.Port}/", trusted: server));
        await ProxyGuardClientExchangeAsync(tunnels, client, seed: 7);   // the page request left the upgraded connection alone

        // nginx logs an upgraded request when its connection ends, with the TLS version it came over.
        client.Process.Terminate();
        await client.Process.WaitForExitAsync();
        await Eventually.True(() => nginx.AccessLog.Contains($"\"GET {UpgradePath} HTTP/1.1\" 101", StringComparison.Ordinal), "nginx's log line for the upgrade");
        Assert.EndsWith(" TLSv1.3", nginx.AccessLog.Split('\n').Single(l => l.Contains($"GET {UpgradePath} ", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The same client without SSL_CERT_FILE knows only the system's CAs: it refuses nginx's certificate,
    /// so no HTTP request is made, and nothing reaches our listen side (which nginx would proxy it to).
    /// </summary>
    [SkippableFact]
    public async Task ProxyGuard_client_over_https_refuses_a_certificate_from_a_CA_it_does_not_trust()
    {
        using var certificates = new TestCertificates();
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(tunnels.TcpPort, UpgradePath, certificates.SignedBy(certificates.Authority()));
        using var client = await ProxyGuardPeer.ClientAsync(FreePort.Udp(), tunnels.AppX.EndPoint.Port, $"https://localhost:{nginx.Port}{UpgradePath}");

        // The first datagram makes it connect; it drops that flush's error (writeTCP in tunnel.go) and
        // reports it when the second one's write finds its buffered writer failed, then waits to retry.
        var clientEntry = new IPEndPoint(IPAddress.Loopback, client.Port);
        tunnels.AppX.SendTo(clientEntry, [1, 2, 3]);
        tunnels.AppX.SendTo(clientEntry, [4, 5, 6]);
        await client.Process.WaitForLineAsync(
            $"[Client] Retrying as client exited with error: Get \"https://localhost:{nginx.Port}{UpgradePath}\": x509: certificate signed by unknown authority");
        Assert.DoesNotContain(client.Process.Lines, l => l.Contains("Connected to HTTP server", StringComparison.Ordinal));
        Assert.DoesNotContain(tunnels.ListenSide!.Lines, l => l.Contains("accepted", StringComparison.Ordinal));
        Assert.DoesNotContain(UpgradePath, nginx.AccessLog);   // the handshake failed before any request
    }

    /// <summary>
    /// app X ⇄ (UDP BX) our connect side ⇄ HTTP Upgrade ⇄ proxyguard-server (TCP T) ⇄ app Y, which sees
    /// the server's port of the connection. (ProxyGuard's server takes the upgrade on any path.)
    /// </summary>
    [SkippableFact]
    public async Task Our_connect_side_to_ProxyGuard_server()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        int tcpPort = FreePort.Tcp(), bx = FreePort.Udp();
        using var server = await ProxyGuardPeer.ServerAsync(tcpPort, appY.EndPoint.Port);
        using var connectSide = TunnelProcess.Start(
            "--tcp-connect", $"http://127.0.0.1:{tcpPort}{UpgradePath}", "--udp-bind", bx.ToString(), "--udp-sendto", appX.EndPoint.Port.ToString(), "--queue-delay", "0");
        await connectSide.WaitForLineAsync("link up: connected");

        var connectEntry = new IPEndPoint(IPAddress.Loopback, bx);
        await PeerExchange.BothWaysAsync(
            near: appX, nearEntry: connectEntry, nearSeesFrom: connectEntry, far: appY, farSeesFrom: null,
            Count, seed: 2, nearToFarPrioritySize: TunnelOptions.DefaultPrioritySize, farToNearPrioritySize: 0);
    }

    /// <summary>Our connect side ⇄ nginx (location /tunnel) ⇄ our listen side; nginx serves its page at / all the while.</summary>
    [SkippableFact]
    public async Task Our_connect_side_through_nginx_to_our_listen_side()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(upstreamPort: tunnels.TcpPort, UpgradePath);
        tunnels.StartConnectSide(["--tcp-connect", nginx.UpgradeUrl]);
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: 3);
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"http://127.0.0.1:{nginx.Port}/"));
        await tunnels.ExchangeBothWaysAsync(Count, seed: 4);   // the page request left the tunnel's connection alone
    }

    /// <summary>Our connect side ⇄ tinyproxy (HTTP CONNECT) ⇄ nginx (location /tunnel) ⇄ our listen side.</summary>
    [SkippableFact]
    public async Task Our_connect_side_through_tinyproxy_and_nginx_to_our_listen_side()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        await using var nginx = await NginxPeer.StartAsync(upstreamPort: tunnels.TcpPort, UpgradePath);
        using var proxy = await ProxyServer.TinyproxyAsync(connectPort: nginx.Port);
        tunnels.StartConnectSide(["--tcp-connect", nginx.UpgradeUrl, "--proxy", $"http://127.0.0.1:{proxy.Port}"]);
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: 5);
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"http://127.0.0.1:{nginx.Port}/"));
    }

    /// <summary>
    /// ProxyGuard's client in the connect side's place: app X sends to the client's UDP port and sees
    /// answers from it; app Y sees all from our listen side's bonded port. Our listen side lets small
    /// datagrams overtake (--priority-size), ProxyGuard's client keeps them in order.
    /// </summary>
    private static Task ProxyGuardClientExchangeAsync(ConnectSideTunnels tunnels, ProxyGuardPeer client, int seed)
    {
        var clientEntry = new IPEndPoint(IPAddress.Loopback, client.Port);
        return PeerExchange.BothWaysAsync(
            near: tunnels.AppX, nearEntry: clientEntry, nearSeesFrom: clientEntry, far: tunnels.AppY, farSeesFrom: tunnels.YEntry,
            Count, seed, nearToFarPrioritySize: 0, farToNearPrioritySize: TunnelOptions.DefaultPrioritySize);
    }
}
