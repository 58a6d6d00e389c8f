using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The connect side through real proxies, as child processes of the test on loopback: Debian's
/// tinyproxy (HTTP CONNECT, with and without Basic authentication) and microsocks (SOCKS5, with and
/// without user/password, the target's name resolved by the proxy). Each carries sequence-checked
/// datagrams both ways and reconnects through the proxy after the listen side restarts. Refusals and a
/// proxy that is not there are logged and retried, never an exit; credentials never appear in a log line.
/// </summary>
[EndToEndTest]
public sealed class ProxyTests
{
    private const string User = "alice";
    private const string Password = "pr0xy-s3cret";

    [Fact]
    public Task Through_tinyproxy() => RunThroughTinyproxyAsync(withCredentials: false);

    [Fact]
    public Task Through_tinyproxy_with_basic_authentication() => RunThroughTinyproxyAsync(withCredentials: true);

    [Fact]
    public async Task Through_microsocks()
    {
        await using var tunnels = new ConnectSideTunnels();
        using var proxy = ProxyServer.Microsocks();
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"socks5://127.0.0.1:{proxy.Port}"]);
        await ExchangeAndReconnectAsync(tunnels, $"127.0.0.1:{tunnels.TcpPort} via socks5 proxy 127.0.0.1:{proxy.Port}");
    }

    /// <summary>
    /// The target's name is known to the proxy only (its private /etc/hosts): the connect side sends
    /// the name and never resolves it.
    /// </summary>
    [SkippableFact]
    public async Task Through_microsocks_with_user_and_password_and_a_name_only_the_proxy_resolves()
    {
        using var hosts = new PrivateHosts();
        hosts.Set("behind-the-proxy.uot.test", "127.0.0.1");
        await using var tunnels = new ConnectSideTunnels { CommonArgs = ["--framing", "u16be"] };
        using var proxy = ProxyServer.Microsocks(hosts, User, Password);
        await tunnels.StartListenSideAsync();
        // The proxy from the environment variable: the credentials stay out of the process list.
        tunnels.StartConnectSide(
            ["--tcp-connect", $"behind-the-proxy.uot.test:{tunnels.TcpPort}"],
            environment: new Dictionary<string, string> { ["UDP_OVER_TCP_PROXY"] = $"socks5://{User}:{Password}@127.0.0.1:{proxy.Port}" });
        await ExchangeAndReconnectAsync(tunnels, $"behind-the-proxy.uot.test:{tunnels.TcpPort} via socks5 proxy 127.0.0.1:{proxy.Port}");
    }

    [Fact]
    public async Task A_proxy_that_refuses_the_target_is_quoted_and_retried()
    {
        await using var tunnels = new ConnectSideTunnels();
        using var proxy = await ProxyServer.TinyproxyAsync(connectPort: 443);   // not the tunnel's port
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"http://127.0.0.1:{proxy.Port}"]);
        var connectSide = tunnels.ConnectSide!;
        string line = await connectSide.WaitForLineAsync("403 Access violation\"");
        Assert.Contains("the proxy refused: \"HTTP/1.", line);
        Assert.Contains($"connect to 127.0.0.1:{tunnels.TcpPort} via http proxy 127.0.0.1:{proxy.Port} failed", line);
        await connectSide.WaitForLineAsync("the proxy refused", occurrence: 2);
        Assert.False(connectSide.HasExited);
    }

    [Fact]
    public async Task A_proxy_that_wants_credentials_says_so()
    {
        await using var tunnels = new ConnectSideTunnels();
        using var proxy = await ProxyServer.TinyproxyAsync(tunnels.TcpPort, User, Password);
        await tunnels.StartListenSideAsync();
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"http://{User}:wrong-{Password}@127.0.0.1:{proxy.Port}"]);
        // tinyproxy answers wrong credentials with 401 (and none with 407).
        await tunnels.ConnectSide!.WaitForLineAsync("the proxy refused the credentials: \"HTTP/1.0 401 Unauthorized\"");
        AssertNoCredentials(tunnels.ConnectSide!);
    }

    [Fact]
    public async Task Wrong_socks5_credentials_are_refused_and_retried()
    {
        await using var tunnels = new ConnectSideTunnels();
        using var proxy = ProxyServer.Microsocks(user: User, password: Password);
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"socks5://{User}:wrong@127.0.0.1:{proxy.Port}"]);
        await tunnels.ConnectSide!.WaitForLineAsync("the proxy refused the user name and password", occurrence: 2);
        Assert.False(tunnels.ConnectSide!.HasExited);
    }

    [Fact]
    public async Task A_proxy_that_is_not_there_is_retried()
    {
        await using var tunnels = new ConnectSideTunnels();
        int nobody = FreePort.Tcp();
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"http://127.0.0.1:{nobody}"]);
        var connectSide = tunnels.ConnectSide!;
        string line = await connectSide.WaitForLineAsync($"via http proxy 127.0.0.1:{nobody} failed: cannot reach the proxy");
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
        await connectSide.WaitForLineAsync("cannot reach the proxy", occurrence: 2);
        Assert.False(connectSide.HasExited);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("socks5")]
    public async Task A_proxy_that_never_answers_runs_out_of_connect_timeout_and_is_retried(string scheme)
    {
        // The kernel completes the connections to this listener; nothing ever reads or answers them.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(16);
        int port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        await using var tunnels = new ConnectSideTunnels();
        tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", $"{scheme}://127.0.0.1:{port}", "--connect-timeout", "1"]);
        var connectSide = tunnels.ConnectSide!;
        string line = await connectSide.WaitForLineAsync("failed: the proxy did not finish its handshake within --connect-timeout (1 s)");
        Assert.Contains($"via {scheme} proxy 127.0.0.1:{port}", line);
        await connectSide.WaitForLineAsync("the proxy did not finish its handshake", occurrence: 2);
        Assert.False(connectSide.HasExited);
    }

    [Fact]
    public async Task A_bad_proxy_url_is_a_usage_error_that_does_not_echo_the_password()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunAsync("-t", "7878", "-u", "0", "-p", "9", "--proxy", $"ftp://{User}:{Password}@proxy.example:21");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(["udp-over-tcp: --proxy: scheme 'ftp' is not http or socks5", "Try 'udp-over-tcp --help' for more information."], stderr);
    }

    [Fact]
    public async Task Help_never_shows_the_proxy_from_the_environment()
    {
        using var help = TunnelProcess.StartWithEnvironment(
            new Dictionary<string, string> { ["UDP_OVER_TCP_PROXY"] = $"http://{User}:{Password}@corp-proxy.uot.test:3128" }, "--help");
        Assert.Equal(0, await help.WaitForExitAsync());
        Assert.Contains("UDP_OVER_TCP_PROXY", help.Stdout);
        Assert.DoesNotContain(Password, help.Stdout);
        Assert.DoesNotContain("corp-proxy.uot.test", help.Stdout);
    }

    private static async Task RunThroughTinyproxyAsync(bool withCredentials)
    {
        // With credentials, the links are authenticated too (--secret-file through the proxy).
        string secret = Path.GetTempFileName();
        try
        {
            File.WriteAllText(secret, "a secret both ends share\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await using var tunnels = new ConnectSideTunnels { CommonArgs = withCredentials ? ["--secret-file", secret] : [] };
            using var proxy = await ProxyServer.TinyproxyAsync(tunnels.TcpPort, withCredentials ? User : null, withCredentials ? Password : null);
            await tunnels.StartListenSideAsync();
            string url = withCredentials ? $"http://{User}:{Password}@127.0.0.1:{proxy.Port}" : $"http://127.0.0.1:{proxy.Port}";
            tunnels.StartConnectSide(["--tcp-connect", $"127.0.0.1:{tunnels.TcpPort}", "--proxy", url]);
            await ExchangeAndReconnectAsync(tunnels, $"127.0.0.1:{tunnels.TcpPort} via http proxy 127.0.0.1:{proxy.Port}");
        }
        finally
        {
            File.Delete(secret);
        }
    }

    /// <summary>The link is up through the proxy (as its log lines say), carries datagrams, and comes back through it after the listen side restarts.</summary>
    private static async Task ExchangeAndReconnectAsync(ConnectSideTunnels tunnels, string peer)
    {
        Assert.Contains($"link up: connected to {peer}", await tunnels.LinkUpAsync());
        await tunnels.ExchangeBothWaysAsync(200, seed: 11);
        Assert.Contains($"link {peer} up", await tunnels.ConnectSide!.RequestStatsAsync());

        await tunnels.StartListenSideAsync();
        Assert.Contains($"link up: connected to {peer}", await tunnels.LinkUpAsync(occurrence: 2));
        await tunnels.ExchangeBothWaysAsync(200, seed: 12);
        AssertNoCredentials(tunnels.ConnectSide!);
    }

    private static void AssertNoCredentials(TunnelProcess process)
    {
        string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        Assert.DoesNotContain(process.Lines, l => l.Contains(Password, StringComparison.Ordinal) || l.Contains(basic, StringComparison.Ordinal));
    }
}
