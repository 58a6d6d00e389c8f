using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The listen side terminating TLS itself (--tls-cert, --tls-key) with the published binary on loopback:
/// our connect side's https:// reaches it with the Upgrade on top, alone, with --secret-file or
/// --multi-client; SIGHUP swaps the certificate for new links while the links up stay up, and a reload
/// that fails keeps the old one; strangers that speak plain HTTP or stall in the handshake are refused
/// like any other failed handshake.
/// </summary>
[EndToEndTest]
public sealed class TlsListenTests : IDisposable
{
    private const int Count = 200;
    private const string UpgradePath = "/tunnel";
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [SkippableTheory]
    [InlineData("alone")]
    [InlineData("secret")]
    public async Task Our_connect_side_reaches_our_TLS_listen_side_verified_by_a_CA(string mode)
    {
        var ca = _certificates.Authority();
        var server = _certificates.SignedBy(ca);
        string[] common = mode == "secret" ? ["--secret-file", SecretFile.Write(_certificates.Directory, "secret", "correct horse battery staple, inside TLS\n")] : [];
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", server.Certificate, "--tls-key", server.Key, "--http-upgrade", UpgradePath], CommonArgs = common };
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"https://localhost:{tunnels.TcpPort}{UpgradePath}", "--tls-ca", ca.Certificate]);
        await tunnels.LinkUpAsync();

        await tunnels.ExchangeBothWaysAsync(Count, seed: 51);
    }

    /// <summary>
    /// --tls-cert without --http-upgrade: TLS alone, then the frames, for a client that wraps a plain
    /// connection in TLS (stunnel, socat): here <c>openssl s_client</c>, verifying the CA and the name.
    /// </summary>
    [SkippableFact]
    public async Task Without_the_Upgrade_a_TLS_client_carries_raw_frames_both_ways()
    {
        var ca = _certificates.Authority();
        var server = _certificates.SignedBy(ca);
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", server.Certificate, "--tls-key", server.Key] };
        await tunnels.StartListenSideAsync();
        using var client = Links.Tls.Linux.OpenSslPeer.Client(tunnels.TcpPort, ca.Certificate, "localhost");

        await client.Input.WriteAsync(RawPeer.Frame(Encoding.ASCII.GetBytes("hello over TLS")));
        await client.Input.FlushAsync();
        var (data, _) = await tunnels.AppY.ReceiveAsync("the client's datagram");
        Assert.Equal("hello over TLS", Encoding.ASCII.GetString(data));
        await tunnels.ListenSide!.WaitForLineAsync("link up: accepted");

        tunnels.AppY.SendTo(tunnels.YEntry, Encoding.ASCII.GetBytes("answer"));
        Assert.Equal(RawPeer.Frame(Encoding.ASCII.GetBytes("answer")), await client.ReadExactlyAsync(4 + 6));
    }

    /// <summary>
    /// certbot's renewal: new files in place, then SIGHUP. The link up keeps carrying (its session keeps the
    /// old certificate); a client pinned to the old certificate no longer gets in, one pinned to the new one does.
    /// </summary>
    [SkippableFact]
    public async Task SIGHUP_gives_new_links_the_new_certificate_and_keeps_the_link_up()
    {
        var before = _certificates.SelfSigned();
        var after = _certificates.SelfSigned();
        var served = new CertificateFiles(Path.Combine(_certificates.Directory, "served.crt"), Path.Combine(_certificates.Directory, "served.key"));
        Install(before, served);
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", served.Certificate, "--tls-key", served.Key, "--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();
        string url = $"https://127.0.0.1:{tunnels.TcpPort}{UpgradePath}";
        tunnels.StartConnectSide(["--tcp-connect", url, "--tls-pin", before.Pin()]);
        await tunnels.LinkUpAsync();
        await tunnels.ExchangeBothWaysAsync(Count, seed: 52);

        Install(after, served);
        tunnels.ListenSide!.Signal(1);
        await tunnels.ListenSide.WaitForLineAsync($"SIGHUP: reloaded --tls-cert {served.Certificate} and --tls-key {served.Key} for new links");
        await tunnels.ExchangeBothWaysAsync(Count, seed: 53);

        using var stale = Client(url, before.Pin(), tunnels.AppX);
        await stale.WaitForLineAsync($"connect to {url} failed: pin mismatch: got {after.Pin()} (certificate)");
        await tunnels.ExchangeBothWaysAsync(Count, seed: 54);
        Assert.Single(tunnels.ListenSide.Lines, l => l.Contains("link up", StringComparison.Ordinal));   // the first link, never dropped
        Assert.Single(tunnels.ConnectSide!.Lines, l => l.Contains("link up", StringComparison.Ordinal));

        using var renewed = Client(url, after.Pin(), tunnels.AppX);
        await renewed.WaitForLineAsync("link up: connected");
        Assert.False(tunnels.ListenSide.HasExited);
    }

    /// <summary>--multi-client behind TLS: two clients, each with a UDP port of its own on the server; answers go back to the one that sent.</summary>
    [SkippableFact]
    public async Task Two_clients_of_a_multi_client_server_over_TLS_each_get_their_answers()
    {
        var certificate = _certificates.SelfSigned();
        using var server = new UdpApp();
        using var listen = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", server.EndPoint.ToString(), "--multi-client",
            "--tls-cert", certificate.Certificate, "--tls-key", certificate.Key, "--http-upgrade", UpgradePath);
        string listening = await listen.WaitForLineAsync("listening on tcp");
        string url = $"https://{listening.Split("listening on tcp ")[1].Split(',')[0]}{UpgradePath}";
        using var appA = new UdpApp();
        using var appB = new UdpApp();
        int entryA = FreePort.Udp(), entryB = FreePort.Udp();
        using var clientA = Client(url, certificate.Pin(), appA, entryA);
        using var clientB = Client(url, certificate.Pin(), appB, entryB);
        await clientA.WaitForLineAsync("link up: connected");
        await clientB.WaitForLineAsync("link up: connected");

        foreach (var (app, entry, name) in new[] { (appA, entryA, "a"), (appB, entryB, "b") })
        {
            app.SendTo(new IPEndPoint(IPAddress.Loopback, entry), Encoding.ASCII.GetBytes("from " + name));
            var (data, from) = await server.ReceiveAsync($"client {name}'s datagram");
            Assert.Equal("from " + name, Encoding.ASCII.GetString(data));
            server.SendTo(from, Encoding.ASCII.GetBytes("to " + name));
            Assert.Equal("to " + name, Encoding.ASCII.GetString((await app.ReceiveAsync($"the answer to {name}")).Data));
        }
    }

    [SkippableFact]
    public async Task A_reload_that_fails_says_why_and_keeps_the_certificate_and_the_tunnel()
    {
        var certificate = _certificates.SelfSigned();
        var served = new CertificateFiles(Path.Combine(_certificates.Directory, "served.crt"), Path.Combine(_certificates.Directory, "served.key"));
        Install(certificate, served);
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", served.Certificate, "--tls-key", served.Key, "--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();

        File.Copy(_certificates.SelfSigned().Key, served.Key, overwrite: true);   // a renewal caught half-way: the key of another certificate
        tunnels.ListenSide!.Signal(1);
        string line = await tunnels.ListenSide.WaitForLineAsync("SIGHUP: ");
        Assert.Contains($"cannot use key '{served.Key}' with certificate '{served.Certificate}': key values mismatch", line);
        Assert.EndsWith("; new links keep the certificate loaded before", line);

        tunnels.StartConnectSide(["--tcp-connect", $"https://127.0.0.1:{tunnels.TcpPort}{UpgradePath}", "--tls-pin", certificate.Pin()]);
        await tunnels.LinkUpAsync();
        await tunnels.ExchangeBothWaysAsync(Count, seed: 55);
    }

    /// <summary>A web client that forgot the "s": refused with OpenSSL's reason; it never gets an HTTP answer or a link.</summary>
    [SkippableFact]
    public async Task Plain_HTTP_to_the_TLS_port_is_refused_with_the_reason()
    {
        var certificate = _certificates.SelfSigned();
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", certificate.Certificate, "--tls-key", certificate.Key, "--http-upgrade", UpgradePath] };
        await tunnels.StartListenSideAsync();

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, tunnels.TcpPort);
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET {UpgradePath} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: UoTLV/1\r\n\r\n"));
        byte[] answer = await ReadToEndAsync(client);

        Assert.DoesNotContain("HTTP/1.1", Encoding.ASCII.GetString(answer));
        string line = await tunnels.ListenSide!.WaitForLineAsync("refused: its TLS handshake failed");
        Assert.Contains("http request", line, StringComparison.OrdinalIgnoreCase);   // OpenSSL's words for it
        Assert.DoesNotContain(tunnels.ListenSide.Lines, l => l.Contains("link up", StringComparison.Ordinal));
    }

    /// <summary>A stranger who opens TLS and stalls costs what any idle connection costs: it is closed at the handshake deadline (5 s).</summary>
    [SkippableFact]
    public async Task A_stranger_that_stalls_in_the_TLS_handshake_is_closed_at_the_deadline()
    {
        var certificate = _certificates.SelfSigned();
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ["--tls-cert", certificate.Certificate, "--tls-key", certificate.Key] };
        await tunnels.StartListenSideAsync();

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, tunnels.TcpPort);
        await client.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 });   // the start of a ClientHello record, then nothing
        byte[] answer = await ReadToEndAsync(client);

        Assert.Empty(answer);
        await tunnels.ListenSide!.WaitForLineAsync("closed unauthenticated: no handshake within 5 s");
    }

    [SkippableTheory]
    [InlineData("missing-key", 2, "--tls-cert and --tls-key go together")]
    [InlineData("connect", 2, "--tls-cert and --tls-key apply to --tcp-listen only")]
    [InlineData("no-file", 1, "cannot start: --tls-cert: certificate file '/nonexistent/cert.pem' does not exist")]
    [InlineData("mismatch", 1, "cannot start: --tls-cert: cannot use key")]
    public async Task Bad_certificate_options_fail_at_start_with_one_line(string what, int exitCode, string message)
    {
        var certificate = _certificates.SelfSigned();
        string[] tls = what switch
        {
            "missing-key" => ["-l", "0", "--tls-cert", certificate.Certificate],
            "connect" => ["-t", "127.0.0.1:9", "--tls-cert", certificate.Certificate, "--tls-key", certificate.Key],
            "no-file" => ["-l", "0", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", certificate.Key],
            _ => ["-l", "0", "--tls-cert", certificate.Certificate, "--tls-key", _certificates.SelfSigned().Key],
        };

        var (code, _, stderr) = await TunnelProcess.RunAsync([.. tls, "-u", "0", "-p", "9"]);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, stderr[0]);
        Assert.Equal(exitCode == 2 ? 2 : 1, stderr.Count);   // a usage error adds the "Try --help" line
    }

    private static TunnelProcess Client(string url, string pin, UdpApp app, int udpPort = 0) =>
        TunnelProcess.Start("--tcp-connect", url, "--tls-pin", pin, "--udp-bind", udpPort.ToString(), "--udp-sendto", app.EndPoint.Port.ToString());

    private static void Install(CertificateFiles from, CertificateFiles to)
    {
        File.Copy(from.Certificate, to.Certificate, overwrite: true);
        File.Copy(from.Key, to.Key, overwrite: true);
    }

    /// <summary>What the server sends until it closes (FIN or reset), within a wide bound.</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        try
        {
            int count;
            while ((count = await socket.ReceiveAsync(buffer).Within("the server's close")) > 0)
            {
                received.Write(buffer, 0, count);
            }
        }
        catch (SocketException)
        {
            // A reset also ends it.
        }

        return received.ToArray();
    }
}
