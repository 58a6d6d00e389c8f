using System.Net;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// The README's two tunnel processes on one host's loopback: tunnel Y listens (`-l T -u Ay -p Ay'`)
/// and tunnel X connects (`-t T -u Bx -p Ax'`), app X and app Y beside them. One host cannot bind
/// port A twice, so each app sits on a port of its own. Either end can be killed and restarted in
/// place. Both ends are this host's published binary, or one of them is a binary under test run
/// some other way (under qemu, inside a chroot: <see cref="StartMixedAsync"/>).
/// </summary>
public sealed class ReadmeTunnels : IAsyncDisposable
{
    private readonly int _tcpPort = FreePort.Tcp();
    private readonly int _ay = FreePort.Udp();
    private readonly int _bx = FreePort.Udp();
    private readonly string[] _extraArgs;
    private readonly Func<string[], string[]>? _underTest;
    private readonly bool _underTestListens;

    private ReadmeTunnels(string[] extraArgs, Func<string[], string[]>? underTest = null, bool underTestListens = false)
    {
        _extraArgs = extraArgs;
        _underTest = underTest;
        _underTestListens = underTestListens;
    }

    public UdpApp AppX { get; } = new();
    public UdpApp AppY { get; } = new();
    public TunnelProcess ListenSide { get; private set; } = null!;
    public TunnelProcess ConnectSide { get; private set; } = null!;

    /// <summary>Where app X sends to reach app Y, and the address app X sees replies from.</summary>
    public IPEndPoint XEntry => new(IPAddress.Loopback, _bx);

    /// <summary>Where app Y sends to reach app X, and the address app Y sees replies from.</summary>
    public IPEndPoint YEntry => new(IPAddress.Loopback, _ay);

    /// <summary>Starts both ends (with <paramref name="extraArgs"/> on each) and waits for the link.</summary>
    public static Task<ReadmeTunnels> StartAsync(params string[] extraArgs) => StartAsync(new ReadmeTunnels(extraArgs));

    /// <summary>Starts both ends, one of them the binary under test, and waits for the link.</summary>
    /// <param name="underTest">Turns the tunnel's arguments into the command line that runs the binary under test.</param>
    /// <param name="underTestListens">Whether the binary under test is the listen side (Y) or the connect side (X).</param>
    public static Task<ReadmeTunnels> StartMixedAsync(Func<string[], string[]> underTest, bool underTestListens) =>
        StartAsync(new ReadmeTunnels([], underTest, underTestListens));

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

    /// <summary>Numbered datagrams of mixed sizes (0 to 65507 bytes) from X to Y and from Y to X at once, each checked.</summary>
    public async Task ExchangeBothWaysAsync(int count, int seed)
    {
        // App X sends to 127.0.0.1:B and sees replies from 127.0.0.1:B; the same for Y with A.
        await Task.WhenAll(
            VerifiedExchange.RunAsync(AppX, XEntry, AppY, YEntry, VerifiedExchange.MixedSizes(count, seed)),
            VerifiedExchange.RunAsync(AppY, YEntry, AppX, XEntry, VerifiedExchange.MixedSizes(count, seed + 1000)));
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

    private static async Task<ReadmeTunnels> StartAsync(ReadmeTunnels setup)
    {
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

    // Y $ udp-over-tcp --tcp-listen 7878 --udp-bind $A --udp-sendto $B (on loopback: a bare port would bind every interface)
    private TunnelProcess StartListenSide() =>
        StartEnd(["--tcp-listen", $"127.0.0.1:{_tcpPort}", "--udp-bind", $"127.0.0.1:{_ay}", "--udp-sendto", AppY.EndPoint.Port.ToString(), .. _extraArgs], _underTestListens);

    // X $ udp-over-tcp --tcp-connect 7878 --udp-bind $B --udp-sendto $A
    private TunnelProcess StartConnectSide() =>
        StartEnd(["--tcp-connect", _tcpPort.ToString(), "--udp-bind", $"127.0.0.1:{_bx}", "--udp-sendto", AppX.EndPoint.Port.ToString(), .. _extraArgs], !_underTestListens);

    // The end under test may run in a chroot, which sees no socket path of ours: its NOTIFY_SOCKET is an abstract name.
    private TunnelProcess StartEnd(string[] args, bool isUnderTest) =>
        _underTest is not null && isUnderTest ? TunnelProcess.StartWrapped(_underTest(args), abstractNotifySocket: true) : TunnelProcess.Start(args);
}
