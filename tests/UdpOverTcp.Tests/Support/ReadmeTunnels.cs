using System.Net;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The README's two tunnel processes on one host, with their default addresses: tunnel Y listens
/// (`-l T -u Ay -p Ay'`) and tunnel X connects (`-t T -u Bx -p Ax'`), app X and app Y beside them.
/// One host cannot bind port A twice, so each app sits on a port of its own. Either end can be
/// killed and restarted in place.
/// </summary>
public sealed class ReadmeTunnels : IAsyncDisposable
{
    private readonly int _tcpPort = FreePort.Tcp();
    private readonly int _ay = FreePort.Udp();
    private readonly int _bx = FreePort.Udp();
    private readonly string[] _extraArgs;

    private ReadmeTunnels(string[] extraArgs) => _extraArgs = extraArgs;

    public UdpApp AppX { get; } = new();
    public UdpApp AppY { get; } = new();
    public TunnelProcess ListenSide { get; private set; } = null!;
    public TunnelProcess ConnectSide { get; private set; } = null!;

    /// <summary>Where app X sends to reach app Y, and the address app X sees replies from.</summary>
    public IPEndPoint XEntry => new(IPAddress.Loopback, _bx);

    /// <summary>Where app Y sends to reach app X, and the address app Y sees replies from.</summary>
    public IPEndPoint YEntry => new(IPAddress.Loopback, _ay);

    /// <summary>Starts both ends (with <paramref name="extraArgs"/> on each) and waits for the link.</summary>
    public static async Task<ReadmeTunnels> StartAsync(params string[] extraArgs)
    {
        var setup = new ReadmeTunnels(extraArgs);
        try
        {
            setup.ListenSide = setup.StartListenSide();
            await setup.ListenSide.WhenReadyAsync();
            setup.ConnectSide = setup.StartConnectSide();
            await setup.ConnectSide.WaitForLineAsync("link up: connected");
            await setup.ListenSide.WaitForLineAsync("link up: accepted");
            return setup;
        }
        catch
        {
            // The caller never gets the setup to dispose: a started end would outlive the test run.
            await setup.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the listen side (SIGKILL) and starts it again; returns once it has a link.</summary>
    public async Task RestartListenSideAsync()
    {
        ListenSide.Dispose();
        ListenSide = StartListenSide();
        await ListenSide.WaitForLineAsync("link up: accepted");
    }

    /// <summary>Kills the connect side (SIGKILL) and starts it again; returns once it has a link.</summary>
    public async Task RestartConnectSideAsync()
    {
        ConnectSide.Dispose();
        ConnectSide = StartConnectSide();
        await ConnectSide.WaitForLineAsync("link up: connected");
    }

    public async Task ExchangeBothWaysAsync(int count, int seed)
    {
        // App X sends to 127.0.0.1:B and sees replies from 127.0.0.1:B; the same for Y with A.
        await Task.WhenAll(
            VerifiedExchange.RunAsync(AppX, XEntry, AppY, YEntry, VerifiedExchange.MixedSizes(count, seed)),
            VerifiedExchange.RunAsync(AppY, YEntry, AppX, XEntry, VerifiedExchange.MixedSizes(count, seed + 1000)));
    }

    public ValueTask DisposeAsync()
    {
        ConnectSide?.Dispose();
        ListenSide?.Dispose();
        AppX.Dispose();
        AppY.Dispose();
        return ValueTask.CompletedTask;
    }

    // Y $ udp-over-tcp --tcp-listen 7878 --udp-bind $A --udp-sendto $B
    private TunnelProcess StartListenSide() =>
        TunnelProcess.Start(["--tcp-listen", _tcpPort.ToString(), "--udp-bind", _ay.ToString(), "--udp-sendto", AppY.EndPoint.Port.ToString(), .. _extraArgs]);

    // X $ udp-over-tcp --tcp-connect 7878 --udp-bind $B --udp-sendto $A
    private TunnelProcess StartConnectSide() =>
        TunnelProcess.Start(["--tcp-connect", _tcpPort.ToString(), "--udp-bind", _bx.ToString(), "--udp-sendto", AppX.EndPoint.Port.ToString(), .. _extraArgs]);
}
