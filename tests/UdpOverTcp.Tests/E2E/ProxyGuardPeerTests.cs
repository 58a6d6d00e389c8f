using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The HTTP Upgrade peers on their own, without the tunnel: ProxyGuard's client and server carry
/// WireGuard-sized datagrams both ways, directly and through nginx (which serves its page at / all
/// the while), and nginx with TLS 1.3 serves its page. They prove the harness that
/// <see cref="HttpUpgradeInteropTests"/> runs the tunnel against; that is where ProxyGuard's client
/// goes over HTTPS through nginx (trusting the tests' CA by SSL_CERT_FILE), to our listen side.
///   app X (127.0.0.1:F) ⇄ proxyguard-client (UDP L) ⇄ [nginx /tunnel ⇄] proxyguard-server (TCP T) ⇄ app Y
/// </summary>
[EndToEndTest]
public sealed class ProxyGuardPeerTests
{
    private const int Count = 200;

    [SkippableFact]
    public async Task ProxyGuard_client_and_server_carry_datagrams_both_ways()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        int tcpPort = FreePort.Tcp(), clientPort = FreePort.Udp();
        using var server = await ProxyGuardPeer.ServerAsync(tcpPort, appY.EndPoint.Port);
        using var client = await ProxyGuardPeer.ClientAsync(clientPort, appX.EndPoint.Port, $"http://127.0.0.1:{tcpPort}/tunnel");

        await ExchangeAsync(appX, client, appY);
        await client.Process.WaitForLineAsync("[Client] Connected to HTTP server, ready for proxying traffic...");
    }

    [SkippableFact]
    public async Task ProxyGuard_through_nginx_while_nginx_serves_its_page()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        int tcpPort = FreePort.Tcp(), clientPort = FreePort.Udp();
        using var server = await ProxyGuardPeer.ServerAsync(tcpPort, appY.EndPoint.Port);
        await using var nginx = await NginxPeer.StartAsync(upstreamPort: tcpPort);
        using var client = await ProxyGuardPeer.ClientAsync(clientPort, appX.EndPoint.Port, nginx.UpgradeUrl);

        await ExchangeAsync(appX, client, appY);
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"http://127.0.0.1:{nginx.Port}/"));
        await ExchangeAsync(appX, client, appY, seed: 2);   // the upgraded connection outlives the page request
    }

    [SkippableFact]
    public async Task Nginx_with_tls13_serves_its_page()
    {
        using var certificates = new TestCertificates();
        var certificate = certificates.SelfSigned();
        await using var nginx = await NginxPeer.StartAsync(upstreamPort: FreePort.Tcp(), certificate: certificate);

        Assert.StartsWith("https://127.0.0.1:", nginx.UpgradeUrl);
        Assert.Equal(NginxPeer.Page, await PageRequest.GetAsync($"https://127.0.0.1:{nginx.Port}/", trusted: certificate));
        Assert.Contains("\"GET / HTTP/1.1\" 200", nginx.AccessLog);
    }

    /// <summary>App X's datagrams reach app Y from the server's port, app Y's reach app X from the client's, all in order.</summary>
    private static Task ExchangeAsync(UdpApp appX, ProxyGuardPeer client, UdpApp appY, int seed = 1) =>
        PeerExchange.BothWaysAsync(
            near: appX, nearEntry: new IPEndPoint(IPAddress.Loopback, client.Port), nearSeesFrom: new IPEndPoint(IPAddress.Loopback, client.Port),
            far: appY, farSeesFrom: null, Count, seed, nearToFarPrioritySize: 0, farToNearPrioritySize: 0);
}
