using System.Text.Json;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The published bench with --clients: one listen end started with --multi-client and several connect
/// ends, at a low fixed rate. Never a speed assertion: that every client's datagrams arrived, once, intact.
/// </summary>
[EndToEndTest]
public class BenchClientsTests
{
    [Fact]
    public async Task Four_clients_through_one_multi_client_server_lose_nothing_at_a_low_rate()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(["--clients", "4", "--rate", "2000", "--size", "64", "--duration", "0.5", "--json"]);

        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        Assert.Empty(stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var settings = root.GetProperty("settings");
        Assert.Equal(4, settings.GetProperty("clients").GetInt32());
        string listenEnd = settings.GetProperty("clientsListenEnd").GetString()!;
        Assert.Contains("--multi-client --max-clients 4", listenEnd);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("latency").ValueKind);   // no ping-pong with --clients

        var size = Assert.Single(root.GetProperty("results").EnumerateArray());
        Assert.Equal(64, size.GetProperty("size").GetInt32());
        var clients = size.GetProperty("clients");
        var trial = clients.GetProperty("trial");
        Assert.Equal(2000, trial.GetProperty("offeredRate").GetDouble());
        Assert.True(trial.GetProperty("sent").GetInt64() > 0);
        Assert.Equal(trial.GetProperty("sent").GetInt64(), trial.GetProperty("delivered").GetInt64());
        Assert.Equal(0, trial.GetProperty("lost").GetInt64());
        Assert.Equal(0, trial.GetProperty("corrupted").GetInt64());
        Assert.Equal(0, trial.GetProperty("duplicated").GetInt64());
        Assert.Equal(0, trial.GetProperty("reordered").GetInt64());
        Assert.Equal(JsonValueKind.Number, trial.GetProperty("tunnelCpuSecondsPerMillion").ValueKind);
        // The listen end's share of the tunnels' CPU time, which includes it.
        double server = trial.GetProperty("serverCpuSecondsPerMillion").GetDouble();
        Assert.InRange(server, 0, trial.GetProperty("tunnelCpuSecondsPerMillion").GetDouble());
        Assert.False(size.GetProperty("tunnel").GetProperty("trial").TryGetProperty("serverCpuSecondsPerMillion", out _));   // the single client has no server of its own
        Assert.Equal(JsonValueKind.Number, size.GetProperty("clientsToTunnel").ValueKind);

        // The single client of the same run is still there, next to it.
        Assert.True(size.GetProperty("tunnel").GetProperty("trial").GetProperty("delivered").GetInt64() > 0);
    }

    [Fact]
    public async Task Clients_with_link_is_a_usage_error()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync(["--clients", "4", "--link", "20mbit"]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("udp-over-tcp-bench: --clients runs on loopback; it does not go with --link", stderr[0]);
    }
}
