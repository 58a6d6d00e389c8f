using System.Net.Sockets;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Sockets.Linux;

/// <summary>TCP_INFO read on a real loopback connection, and what the statistics line makes of it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[InProcessTest]
[NeedsLinux]
public sealed class TcpInfoTests : IDisposable
{
    private const byte Established = 1;   // TCP_ESTABLISHED

    private readonly Socket _client;
    private readonly Socket _server;

    public TcpInfoTests() => (_client, _server) = LoopbackTcp.Connect();

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task Reads_sane_figures_and_bytes_acked_grows_after_sending()
    {
        Assert.True(TcpInfo.TryRead(_client, out var before));
        Assert.Equal(Established, before.State);
        Assert.Equal(TcpInfo.Length, before.Copied);   // this kernel (4.9+) knows every field read
        Assert.True(before.Rtt > 0, $"rtt {before.Rtt} µs");
        Assert.True(before.MinRtt > 0, $"min rtt {before.MinRtt} µs");
        Assert.True(before.CongestionWindow >= 1, $"cwnd {before.CongestionWindow}");
        Assert.True(before.Rto > 0);
        Assert.Equal(0u, before.TotalRetrans);
        Assert.NotNull(before.BytesAcked);

        byte[] data = new byte[256 * 1024];
        _client.Send(data);
        int received = 0;
        while (received < data.Length)
        {
            received += _server.Receive(data);
        }

        // The last acknowledgement may come a moment after the data is read.
        await Eventually.True(() => TcpInfo.TryRead(_client, out var after) && after.BytesAcked >= before.BytesAcked + (ulong)data.Length, "bytes_acked to count what was sent");
    }

    [Fact]
    public void Cannot_read_a_closed_socket()
    {
        _client.Dispose();
        Assert.False(TcpInfo.TryRead(_client, out _));
        Assert.Null(KernelFigures.Of(_client));
    }

    [Fact]
    public void The_figures_of_a_live_link_read_as_the_statistics_line_shows_them()
    {
        string? figures = KernelFigures.Of(_client);
        Assert.NotNull(figures);
        Assert.Matches($"^{KernelFiguresPattern.Loopback}$", figures);
    }
}
