using System.Net;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The README's two tunnel ends on loopback where one end is the binary under test run some other way
/// (under qemu, inside a chroot) and the other end is this host's published binary, with app X and
/// app Y on both sides. The end under test takes the listen or the connect role.
/// </summary>
public sealed class MixedTunnelPair : IAsyncDisposable
{
    private readonly int _tcpPort = FreePort.Tcp();
    private readonly int _ay = FreePort.Udp();
    private readonly int _bx = FreePort.Udp();

    private MixedTunnelPair()
    {
    }

    public UdpApp AppX { get; } = new();

    public UdpApp AppY { get; } = new();

    public TunnelProcess ListenSide { get; private set; } = null!;

    public TunnelProcess ConnectSide { get; private set; } = null!;

    /// <param name="underTest">Turns the tunnel's arguments into the command line that runs the binary under test.</param>
    /// <param name="underTestListens">Whether the binary under test is the listen side (Y) or the connect side (X).</param>
    public static async Task<MixedTunnelPair> StartAsync(Func<string[], string[]> underTest, bool underTestListens)
    {
        var pair = new MixedTunnelPair();
        try
        {
            // Y $ udp-over-tcp --tcp-listen 7878 --udp-bind $A --udp-sendto $B
            string[] listen = ["--tcp-listen", $"127.0.0.1:{pair._tcpPort}", "--udp-bind", $"127.0.0.1:{pair._ay}", "--udp-sendto", pair.AppY.EndPoint.Port.ToString()];
            // X $ udp-over-tcp --tcp-connect 7878 --udp-bind $B --udp-sendto $A
            string[] connect = ["--tcp-connect", pair._tcpPort.ToString(), "--udp-bind", $"127.0.0.1:{pair._bx}", "--udp-sendto", pair.AppX.EndPoint.Port.ToString()];

            // The end under test may run in a chroot, which sees no socket path of ours: an abstract name.
            pair.ListenSide = underTestListens ? TunnelProcess.StartWrapped(underTest(listen), abstractNotifySocket: true) : TunnelProcess.Start(listen);
            await pair.ListenSide.WhenReadyAsync();
            pair.ConnectSide = underTestListens ? TunnelProcess.Start(connect) : TunnelProcess.StartWrapped(underTest(connect), abstractNotifySocket: true);
            await pair.ConnectSide.WaitForLineAsync("link up: connected");
            await pair.ListenSide.WaitForLineAsync("link up: accepted");
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Numbered datagrams of mixed sizes (0 to 65507 bytes) from X to Y and
    /// from Y to X at once, each checked.
    /// </summary>
    public async Task ExchangeBothWaysAsync(int count, int seed)
    {
        // App X sends to 127.0.0.1:B and sees replies from 127.0.0.1:B; the same for Y with A.
        var xEntry = new IPEndPoint(IPAddress.Loopback, _bx);
        var yEntry = new IPEndPoint(IPAddress.Loopback, _ay);
        await Task.WhenAll(
            VerifiedExchange.RunAsync(AppX, xEntry, AppY, yEntry, VerifiedExchange.MixedSizes(count, seed)),
            VerifiedExchange.RunAsync(AppY, yEntry, AppX, xEntry, VerifiedExchange.MixedSizes(count, seed + 1000)));
    }

    /// <summary>SIGTERM to both ends, as systemd would: each must stop cleanly with exit code 0.</summary>
    public async Task StopAsync()
    {
        ConnectSide.Terminate();
        ListenSide.Terminate();
        Assert.Equal(0, await ConnectSide.WaitForExitAsync());
        Assert.Equal(0, await ListenSide.WaitForExitAsync());
    }

    public ValueTask DisposeAsync()
    {
        ConnectSide?.Dispose();
        ListenSide?.Dispose();
        AppX.Dispose();
        AppY.Dispose();
        return ValueTask.CompletedTask;
    }
}
