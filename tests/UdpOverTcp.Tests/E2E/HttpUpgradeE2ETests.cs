using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published binary at both ends of the HTTP Upgrade (--tcp-connect http://127.0.0.1:PORT/uot ↔
/// --tcp-listen PORT --http-upgrade /uot): datagrams both ways, with --secret-file on top, with
/// --multi-client, and through tinyproxy; a refusal is logged with the server's status and retried;
/// the usage errors are one line and exit 2.
/// </summary>
[EndToEndTest]
public sealed class HttpUpgradeE2ETests
{
    private static readonly string[] ListenUpgrade = ["--http-upgrade", "/uot"];

    [Fact]
    public async Task Connect_side_and_listen_side_meet_through_the_upgrade()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ListenUpgrade };
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot"]);
        Assert.Contains($"link up: connected to 127.0.0.1:{tunnels.TcpPort}", await tunnels.LinkUpAsync());
        await tunnels.ExchangeBothWaysAsync(200, seed: 31);

        // The listen side restarts: the connect side upgrades again on its next dial.
        await tunnels.StartListenSideAsync();
        await tunnels.LinkUpAsync(occurrence: 2);
        await tunnels.ExchangeBothWaysAsync(100, seed: 32);
    }

    [Fact]
    public async Task The_secret_runs_on_top_of_the_upgrade()
    {
        string secret = Path.GetTempFileName();
        try
        {
            File.WriteAllText(secret, "a secret both ends share\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await using var tunnels = new ConnectSideTunnels { ListenArgs = ListenUpgrade, CommonArgs = ["--secret-file", secret] };
            await tunnels.StartListenSideAsync();
            tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot"]);
            await tunnels.LinkUpAsync();
            await tunnels.ExchangeBothWaysAsync(200, seed: 33);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task Through_tinyproxy_the_upgrade_follows_the_connect()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ListenUpgrade };
        using var proxy = await ProxyServer.TinyproxyAsync(tunnels.TcpPort);
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot", "--proxy", $"http://127.0.0.1:{proxy.Port}"]);
        Assert.Contains($"via http proxy 127.0.0.1:{proxy.Port}", await tunnels.LinkUpAsync());
        await tunnels.ExchangeBothWaysAsync(200, seed: 34);
    }

    [Fact]
    public async Task Each_client_upgrades_on_its_own_with_multi_client()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = [.. ListenUpgrade, "--multi-client", "-v"] };
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot"]);
        await tunnels.ConnectSide!.WaitForLineAsync("link up: connected");
        await tunnels.ListenSide!.WaitForLineAsync(" joined: udp port ");   // a client's line, not `link up`

        using var app2 = new UdpApp();
        int entry2 = FreePort.Udp();
        using var second = TunnelProcess.Start("--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot", "-u", $"127.0.0.1:{entry2}", "-p", app2.EndPoint.ToString());
        await second.WaitForLineAsync("link up: connected");
        await tunnels.ListenSide!.WaitForLineAsync(" joined: udp port ", occurrence: 2);

        // Each client's datagram reaches app Y from a port of its own; the reply goes back to that client alone.
        await RoundTripAsync(tunnels.AppX, tunnels.XEntry, tunnels.AppY, "first");
        await RoundTripAsync(app2, new IPEndPoint(IPAddress.Loopback, entry2), tunnels.AppY, "second");
        Assert.Equal(2, tunnels.ListenSide.Lines.Count(l => l.Contains(" joined: udp port ", StringComparison.Ordinal)));
    }

    private static async Task RoundTripAsync(UdpApp client, IPEndPoint entry, UdpApp server, string name)
    {
        client.SendTo(entry, System.Text.Encoding.ASCII.GetBytes($"from the {name} client"));
        var (data, from) = await server.ReceiveAsync($"the {name} client's datagram");
        Assert.Equal($"from the {name} client", System.Text.Encoding.ASCII.GetString(data));
        server.SendTo(from, System.Text.Encoding.ASCII.GetBytes($"to the {name} client"));
        Assert.Equal($"to the {name} client", System.Text.Encoding.ASCII.GetString((await client.ReceiveAsync("the reply")).Data));
    }

    [Fact]
    public async Task A_refusal_is_logged_with_the_status_and_retried()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ListenUpgrade };
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/elsewhere"]);
        var connectSide = tunnels.ConnectSide!;
        string line = await connectSide.WaitForLineAsync("failed: http upgrade refused: 404 Not Found");
        Assert.Contains($"connect to http://127.0.0.1:{tunnels.TcpPort}/elsewhere failed", line);
        await connectSide.WaitForLineAsync("http upgrade refused: 404 Not Found", occurrence: 2);
        Assert.False(connectSide.HasExited);
        Assert.DoesNotContain(tunnels.ListenSide!.Lines, l => l.Contains("link up", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_web_client_finds_a_plain_web_server_and_the_live_link_goes_on()
    {
        await using var tunnels = new ConnectSideTunnels { ListenArgs = ListenUpgrade };
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"http://127.0.0.1:{tunnels.TcpPort}/uot"]);
        await tunnels.LinkUpAsync();

        var (code, stdout, _) = await TunnelProcess.RunProgramAsync("curl", "-si", "--max-time", "20", $"http://127.0.0.1:{tunnels.TcpPort}/index.html");
        Assert.Equal(0, code);
        Assert.StartsWith("HTTP/1.1 404 Not Found", stdout);
        Assert.EndsWith("Not Found", stdout.TrimEnd());
        Assert.DoesNotContain("Server:", stdout, StringComparison.OrdinalIgnoreCase);
        (code, stdout, _) = await TunnelProcess.RunProgramAsync("curl", "-si", "--max-time", "20", $"http://127.0.0.1:{tunnels.TcpPort}/uot");
        Assert.Equal(0, code);
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required", stdout);

        await tunnels.ExchangeBothWaysAsync(100, seed: 36);
        Assert.Single(tunnels.ListenSide!.Lines, l => l.Contains("link up: accepted", StringComparison.Ordinal));   // the web clients did not replace the link
    }

    [Theory]
    [InlineData("--tls-ca, --tls-sni and --tls-pin apply to --tcp-connect https:// only", "-t", "http://127.0.0.1:8080/uot", "--tls-sni", "a.example")]
    [InlineData("--tls-pin replaces CA verification: give --tls-pin or --tls-ca, not both", "-t", "https://127.0.0.1:8443/uot", "--tls-ca", "/ca.pem", "--tls-pin", "sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("--framing u32le: the HTTP Upgrade (UoTLV/1) carries u16be frames; leave --framing out", "-l", "7878", "--http-upgrade", "/uot", "--framing", "u32le")]
    [InlineData("--http-upgrade applies to --tcp-listen only; the connect side gives --tcp-connect http://HOST:PORT/PATH", "-t", "7878", "--http-upgrade", "/uot")]
    public async Task Usage_errors_are_one_line_and_exit_2(string message, params string[] args)
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync([.. args, "-u", "0", "-p", "9"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal([$"udp-over-tcp: {message}", "Try 'udp-over-tcp --help' for more information."], stderr);
    }
}
