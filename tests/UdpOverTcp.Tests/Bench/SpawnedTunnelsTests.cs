using System.Net;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

[UnitTest]
public class SpawnedTunnelsTests
{
    [Theory]
    [InlineData("2026-01-01T00:00:00.000Z INFO  listening on tcp 127.0.0.1:41234, udp 127.0.0.1:50001 -> 127.0.0.1:50000", "127.0.0.1:41234", "127.0.0.1:50001")]
    [InlineData("2026-01-01T00:00:00.000Z INFO  connecting to tcp [::1]:41234, udp [::1]:50002 -> [::1]:50000", "[::1]:41234", "[::1]:50002")]
    public void Reads_the_ports_the_os_picked_from_the_start_up_lines(string line, string tcp, string udp)
    {
        var (t, u) = SpawnedTunnels.ParseEndpoints(line);
        Assert.Equal(IPEndPoint.Parse(tcp), t);
        Assert.Equal(IPEndPoint.Parse(udp), u);
    }

    [Fact]
    public void An_unexpected_line_is_a_bench_failure_that_quotes_it()
    {
        var e = Assert.Throws<BenchException>(() => SpawnedTunnels.ParseEndpoints("listening somewhere"));
        Assert.Contains("listening somewhere", e.Message);
    }

    [Fact]
    public void The_tunnel_is_the_one_tunnel_names_as_a_full_path()
    {
        string file = Path.GetTempFileName();
        try
        {
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
            Assert.Equal(file, SpawnedTunnels.Locate(relative));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_tunnel_that_does_not_exist_is_a_bench_failure()
    {
        var e = Assert.Throws<BenchException>(() => SpawnedTunnels.Locate("/nonexistent/udp-over-tcp"));
        Assert.Equal("--tunnel: /nonexistent/udp-over-tcp does not exist", e.Message);
    }
}
