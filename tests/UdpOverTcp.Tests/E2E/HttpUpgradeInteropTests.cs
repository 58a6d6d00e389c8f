using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The tunnel's HTTP Upgrade (--http-upgrade PATH on the listen side, --tcp-connect http://HOST:PORT/PATH
/// on the connect side; u16be framing, ProxyGuard's "UoTLV/1") with real peers, all on loopback:
/// eduVPN's ProxyGuard client and server in either role, nginx proxying the upgrade at /tunnel while
/// it serves its page at /, and tinyproxy's CONNECT in front of nginx. WireGuard-sized datagrams both
/// ways, each checked for content, size (its boundaries kept), order and source.
/// </summary>
[EndToEndTest]
public sealed class HttpUpgradeInteropTests
{
    private const int Count = 200;
    private const string UpgradePath = "/tunnel";

    /// <summary>app X (127.0.0.1:F) ⇄ proxyguard-client (UDP L) ⇄ HTTP Upgrade ⇄ our listen side (UDP AY) ⇄ app Y.</summary>
    [SkippableFact]
    public async Task ProxyGuard_client_to_our_listen_side()
    {
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        int tcpPort = FreePort.Tcp(), clientPort = FreePort.Udp(), ay = FreePort.Udp();
        using var listenSide = TunnelProcess.Start(
            "--tcp-listen", $"127.0.0.1:{tcpPort}", "--http-upgrade", UpgradePath, "--udp-bind", ay.ToString(), "--udp-sendto", appY.EndPoint.Port.ToString(), "--queue-delay", "0");
        await listenSide.WaitForLineAsync("listening on tcp");
        using var client = await ProxyGuardPeer.ClientAsync(clientPort, appX.EndPoint.Port, $"http://127.0.0.1:{tcpPort}{UpgradePath}");

        var clientEntry = new IPEndPoint(IPAddress.Loopback, clientPort);
        await PeerExchange.BothWaysAsync(
            near: appX, nearEntry: clientEntry, nearSeesFrom: clientEntry, far: appY, farSeesFrom: new IPEndPoint(IPAddress.Loopback, ay),
            Count, seed: 1, nearToFarPrioritySize: 0, farToNearPrioritySize: TunnelOptions.DefaultPrioritySize);
        await listenSide.WaitForLineAsync("link up: accepted");
        await client.Process.WaitForLineAsync("[Client] Connected to HTTP server, ready for proxying traffic...");
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
}
