namespace UdpOverTcp.Tests.Support;

/// <summary>
/// ProxyGuard (eduVPN's UDP over HTTP Upgrade, "UoTLV/1": u16be lengths, as RFC 4571) as a child
/// process on loopback. Its client binds UDP 127.0.0.1:<see cref="UdpPort"/>, sends what arrives
/// over TCP to the app on 127.0.0.1:forward-port, and makes its HTTP Upgrade only when the first
/// datagram arrives. Its server answers the upgrade on any path and sends each connection's datagrams
/// to the app from a UDP port of its own (a connected socket), so the app answers where they came from.
/// </summary>
public sealed class ProxyGuardPeer : IDisposable
{
    private ProxyGuardPeer(TunnelProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public TunnelProcess Process { get; }

    /// <summary>The client's UDP port (where the app sends), or the server's TCP port.</summary>
    public int Port { get; }

    /// <summary>
    /// proxyguard-server on 127.0.0.1:<paramref name="tcpPort"/>, sending to 127.0.0.1:<paramref name="appPort"/>.
    /// It logs nothing when ready: returns once the port accepts.
    /// </summary>
    public static async Task<ProxyGuardPeer> ServerAsync(int tcpPort, int appPort)
    {
        var (_, server) = ProxyGuardBuild.Require();
        var process = TunnelProcess.StartProgram(server, "-listen", $"127.0.0.1:{tcpPort}", "-to", $"127.0.0.1:{appPort}");
        var peer = new ProxyGuardPeer(process, tcpPort);
        try
        {
            await TcpAccepting.WaitAsync(tcpPort, process, "proxyguard-server");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// proxyguard-client on UDP 127.0.0.1:<paramref name="udpPort"/>, for the app on 127.0.0.1:<paramref name="appPort"/>,
    /// upgrading at <paramref name="url"/> (http(s)://HOST:PORT/PATH). Returns once its UDP socket is bound
    /// ("waiting for traffic..."); it connects when the app sends its first datagram. For https:// it
    /// requires TLS 1.3 and verifies the server by the system's roots, which Go on Linux reads from
    /// SSL_CERT_FILE when <paramref name="environment"/> sets it (crypto/x509, root_unix.go).
    /// </summary>
    public static async Task<ProxyGuardPeer> ClientAsync(int udpPort, int appPort, string url, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (client, _) = ProxyGuardBuild.Require();
        var process = TunnelProcess.StartProgramWithEnvironment(
            environment, client, "-listen-port", udpPort.ToString(), "-forward-port", appPort.ToString(), "-to", url);
        var peer = new ProxyGuardPeer(process, udpPort);
        try
        {
            await process.WaitForLineAsync("[Client] waiting for traffic...");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    public void Dispose() => Process.Dispose();
}
