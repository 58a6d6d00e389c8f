using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>The secret options on the published binary: they work, and the secret never shows.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[EndToEndTest]
public sealed class AuthenticationE2ETests : IDisposable
{
    private const string SecretText = "hunter2-but-longer-7f3a";
    private readonly string _dir = Directory.CreateTempSubdirectory("uot-e2e-secret-").FullName;

    [Fact]
    public async Task Secret_file_and_environment_variable_link_up_and_the_secret_never_appears()
    {
        string file = Path.Combine(_dir, "secret");
        File.WriteAllText(file, SecretText + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var appX = new UdpApp();
        using var appY = new UdpApp();
        int tcp = FreePort.Tcp();
        using var listen = TunnelProcess.Start("-l", $"127.0.0.1:{tcp}", "-u", "127.0.0.1:0", "-p", appY.EndPoint.Port.ToString(), "--secret-file", file, "-v");
        await listen.WhenReadyAsync();
        using var connect = TunnelProcess.StartWithEnvironment(
            new Dictionary<string, string> { ["UDP_OVER_TCP_SECRET"] = SecretText },
            "-t", tcp.ToString(), "-u", "127.0.0.1:0", "-p", appX.EndPoint.Port.ToString(), "-v");
        await connect.WaitForLineAsync("link up: connected");
        await listen.WaitForLineAsync("link up: accepted");

        listen.Terminate();
        connect.Terminate();
        Assert.Equal(0, await listen.WaitForExitAsync());
        Assert.Equal(0, await connect.WaitForExitAsync());
        Assert.DoesNotContain(listen.Lines.Concat(connect.Lines), l => l.Contains(SecretText, StringComparison.Ordinal));
        Assert.DoesNotContain(listen.Lines, l => l.Contains("readable by other users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Secret_file_readable_by_others_draws_a_warning()
    {
        string file = Path.Combine(_dir, "open-secret");
        File.WriteAllText(file, SecretText);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var listen = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--secret-file", file);
        var warning = await listen.WaitForLineAsync("readable by other users");
        Assert.Contains(file, warning);
        await listen.WhenReadyAsync();   // signal handlers are in place from here
        listen.Terminate();
        Assert.Equal(0, await listen.WaitForExitAsync());
    }

    [Fact]
    public async Task Unreadable_or_empty_secret_exits_1_naming_the_file_not_the_secret()
    {
        string empty = Path.Combine(_dir, "empty");
        File.WriteAllText(empty, "");
        File.SetUnixFileMode(empty, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (code, _, stderr) = await TunnelProcess.RunAsync("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--secret-file", empty);
        Assert.Equal(1, code);
        Assert.Contains($"the secret file {empty} is empty", Assert.Single(stderr));

        var (missingCode, _, missingErr) = await TunnelProcess.RunAsync("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--secret-file", Path.Combine(_dir, "absent"));
        Assert.Equal(1, missingCode);
        Assert.Contains("cannot read the secret file", Assert.Single(missingErr));
    }

    [Fact]
    public async Task Help_mentions_the_options_but_no_secret_value()
    {
        var (_, stdout, _) = await TunnelProcess.RunAsync("--help");
        Assert.Contains("--secret-file", stdout);
        Assert.Contains("UDP_OVER_TCP_SECRET", stdout);
    }

    [Fact]
    public async Task Different_secrets_are_named_as_the_cause_on_both_sides()
    {
        using var listen = TunnelProcess.Start("-l", "127.0.0.1:0", "-u", "127.0.0.1:0", "-p", "9", "--secret-file", SecretFile("ours", SecretText));
        int tcpPort = SpawnedTunnels.ParseEndpoints(await listen.WhenReadyAsync()).Tcp.Port;
        using var connect = TunnelProcess.Start("-t", tcpPort.ToString(), "-u", "127.0.0.1:0", "-p", "9", "--secret-file", SecretFile("theirs", "another secret"));

        var line = await connect.WaitForLineAsync($"connect to 127.0.0.1:{tcpPort} failed");
        Assert.Contains("the listen side's proof did not match: the two ends have different secrets", line);
        Assert.Contains("its proof did not match (is the secret the same on both ends?)", await listen.WaitForLineAsync("rejected"));
    }

    [Fact]
    public async Task A_listen_side_that_closes_during_the_handshake_is_not_blamed_on_the_secret()
    {
        // What a connect side meets behind `ssh -L` with nothing at the far end, or a listen side that restarts.
        var line = await ConnectSideFailureAgainst(accepted => accepted.Dispose());
        Assert.Contains("the listen side closed the connection before the handshake finished (its log says why)", line);
        Assert.DoesNotContain("secret", line);
    }

    [Fact]
    public async Task A_listen_side_that_answers_something_else_is_said_to_be_no_udp_over_tcp_hello()
    {
        var line = await ConnectSideFailureAgainst(accepted => accepted.Send("SSH-2.0-OpenSSH_9.2p1\r\n"u8));
        Assert.Contains("the listen side's answer is not a udp-over-tcp hello", line);
        Assert.DoesNotContain("different secrets", line);
    }

    [Fact]
    public async Task A_listen_side_that_never_answers_is_given_up_after_the_handshake_timeout()
    {
        var line = await ConnectSideFailureAgainst(_ => { });   // accepted, and not a word
        Assert.Contains("no handshake answer from the listen side within 5 s", line);
        Assert.DoesNotContain("different secrets", line);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SecretFile(string name, string secret) => Support.SecretFile.Write(_dir, name, secret);

    /// <summary>A connect side with a secret against a plain TCP listener that does <paramref name="onAccept"/>: its first failure line.</summary>
    private async Task<string> ConnectSideFailureAgainst(Action<Socket> onAccept)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int tcpPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var connect = TunnelProcess.Start("-t", tcpPort.ToString(), "-u", "127.0.0.1:0", "-p", "9", "--secret-file", SecretFile("key", SecretText));
        using var accepted = await listener.AcceptAsync().Within("the connect side to connect");
        onAccept(accepted);
        return await connect.WaitForLineAsync($"connect to 127.0.0.1:{tcpPort} failed");
    }
}
