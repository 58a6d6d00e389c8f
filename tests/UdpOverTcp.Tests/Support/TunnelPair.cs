using System.Net;
using UdpOverTcp.Cli;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Two tunnel ends in this process on loopback, as in the README: app X ⇄ connect end ⇄ TCP ⇄
/// listen end ⇄ app Y. App X talks to <see cref="ConnectEntry"/>, app Y to <see cref="ListenEntry"/>.
/// </summary>
public sealed class TunnelPair : IAsyncDisposable
{
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    /// <param name="configure">Applied to both ends' options, e.g. to set a secret.</param>
    public TunnelPair(FramingKind framing = FramingKind.U32LittleEndian, UdpDataPath path = UdpDataPath.Auto, Func<TunnelOptions, TunnelOptions>? configure = null)
    {
        configure ??= o => o;
        var listen = configure(new TunnelOptions
        {
            Role = TcpRole.Listen, TcpEndpoint = Loopback0, UdpBind = Loopback0, UdpSendTo = AppY.EndPoint, Framing = framing, DataPath = path, QueueDelay = LoadedMachineQueueDelay,
        });
        Listen = new Tunnel(listen);
        var connect = configure(new TunnelOptions
        {
            Role = TcpRole.Connect, TcpEndpoint = Listen.TcpListenEndPoint, UdpBind = Loopback0, UdpSendTo = AppX.EndPoint, Framing = framing, DataPath = path, QueueDelay = LoadedMachineQueueDelay,
        });
        Connect = new Tunnel(connect);
    }

    /// <summary>
    /// The time bound stays on, with a wide margin: at the default 5 ms, a test machine so busy that a
    /// tunnel thread waits 50 ms for a CPU drops stale datagrams, as it should, and a test that counts
    /// every datagram fails (seen at a load average of 12 on 2 cores). QueueDelayTests set their own.
    /// </summary>
    public static readonly TimeSpan LoadedMachineQueueDelay = TimeSpan.FromSeconds(2);

    public UdpApp AppX { get; } = new();
    public UdpApp AppY { get; } = new();
    public Tunnel Listen { get; }
    public Tunnel Connect { get; }

    /// <summary>Where app X sends to reach app Y (and where app Y's replies come from, seen by X).</summary>
    public IPEndPoint ConnectEntry => Connect.UdpEndPoint;

    /// <summary>Where app Y sends to reach app X.</summary>
    public IPEndPoint ListenEntry => Listen.UdpEndPoint;

    public static async Task<TunnelPair> StartAsync(FramingKind framing = FramingKind.U32LittleEndian, UdpDataPath path = UdpDataPath.Auto, Func<TunnelOptions, TunnelOptions>? configure = null)
    {
        var pair = new TunnelPair(framing, path, configure);
        pair._running = Task.WhenAll(pair.Listen.RunAsync(pair._stop.Token), pair.Connect.RunAsync(pair._stop.Token));
        await Task.WhenAll(pair.Listen.WhenLinkUp(), pair.Connect.WhenLinkUp()).Within("both tunnel ends to link up");
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _running.Within("the tunnels to stop");
        Listen.Dispose();
        Connect.Dispose();
        AppX.Dispose();
        AppY.Dispose();
        _stop.Dispose();
    }
}
