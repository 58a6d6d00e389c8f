using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Trials;

/// <summary>
/// One path the bench measures: the generator sends from <see cref="SendSocket"/> to
/// <see cref="Target"/>, and what comes out arrives on <see cref="ReceiveSocket"/>. For plain UDP
/// they are two sockets talking directly. Through tunnels they are one socket, an app like any other:
/// the near tunnel end's --udp-sendto and the far end's both point at it, so it sends into the near
/// end, receives from the far end, and a reply to the far end comes back to it through the near end —
/// which is what the latency ping-pong needs.
/// </summary>
public sealed class BenchPath : IDisposable
{
    /// <summary>
    /// The generator's and the sink's socket buffers. The sink is the measuring instrument: when it is
    /// not scheduled for a while (two cores shared with both tunnels, or steal time), its socket buffer
    /// must hold what arrives meanwhile, or the bench measures its own hiccup. 16 MiB holds ~19,000
    /// datagrams of 64 B (~880 B of kernel memory each), about 15 ms at 1.28M/s. On this 2-core VM the
    /// tunnels' 64 B lossless rate went 867k/729k/945k -> 1.22M/1.28M/1.03M from 4 MiB, and plain
    /// UDP's 1.39M/1.52M/1.23M -> 1.59M/1.81M/1.56M; with the sink at 16 MiB, the tunnels' own 4 or 16
    /// MiB made no consistent difference. Granted past net.core.rmem_max only with CAP_NET_ADMIN.
    /// </summary>
    public const int SocketBufferBytes = 16 * 1024 * 1024;

    private BenchPath(string name, Socket sendSocket, IPEndPoint target, Socket receiveSocket, Func<TimeSpan?>? tunnelCpu, IReadOnlyList<IPEndPoint>? targets = null, Func<TimeSpan?>? serverCpu = null)
    {
        ServerCpu = serverCpu;
        Name = name;
        SendSocket = sendSocket;
        Target = target;
        Targets = targets ?? [target];
        ReceiveSocket = receiveSocket;
        TunnelCpu = tunnelCpu;
    }

    public string Name { get; }
    public Socket SendSocket { get; }
    public IPEndPoint Target { get; }

    /// <summary>Where the generator sends, a batch to each in turn: <see cref="Target"/> alone, or one near tunnel end per client (--clients).</summary>
    public IReadOnlyList<IPEndPoint> Targets { get; }
    public Socket ReceiveSocket { get; }

    /// <summary>Total CPU time of the tunnel processes so far; null when they are not ours (or it returns null where the OS does not tell).</summary>
    public Func<TimeSpan?>? TunnelCpu { get; }

    /// <summary>With --clients: CPU time of the listen end alone so far (it is part of <see cref="TunnelCpu"/>); null otherwise.</summary>
    public Func<TimeSpan?>? ServerCpu { get; }

    /// <summary>Two sockets on the loopback of <paramref name="family"/>: the ceiling of this generator and sink on this machine.</summary>
    public static BenchPath PlainUdp(AddressFamily family)
    {
        var loopback = new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
        var sender = Bind(loopback);
        try
        {
            var receiver = Bind(loopback);
            return new BenchPath("plain UDP", sender, (IPEndPoint)receiver.LocalEndPoint!, receiver, tunnelCpu: null);
        }
        catch
        {
            sender.Dispose();
            throw;
        }
    }

    /// <summary>Through tunnels: <paramref name="app"/> sends to <paramref name="entry"/> (the near end) and receives from the far end.</summary>
    public static BenchPath Tunnel(Socket app, IPEndPoint entry, Func<TimeSpan?>? tunnelCpu) =>
        new("tunnel", app, entry, app, tunnelCpu);

    /// <summary>Through many clients' tunnels (--clients): <paramref name="app"/> sends to every near end in <paramref name="entries"/> and receives from the one far end.</summary>
    public static BenchPath Clients(Socket app, IReadOnlyList<IPEndPoint> entries, Func<TimeSpan?>? tunnelCpu, Func<TimeSpan?>? serverCpu) =>
        new($"{entries.Count} clients", app, entries[0], app, tunnelCpu, entries, serverCpu);

    /// <summary>
    /// Any other path: <paramref name="sender"/> sends to <paramref name="target"/>, and what comes out
    /// arrives on <paramref name="receiver"/> (e.g. two sockets in two network namespaces). Replies to
    /// whoever delivered a datagram must find their way back to <paramref name="sender"/> for the
    /// latency ping-pong.
    /// </summary>
    public static BenchPath Between(string name, Socket sender, IPEndPoint target, Socket receiver, Func<TimeSpan?>? tunnelCpu) =>
        new(name, sender, target, receiver, tunnelCpu);

    /// <summary>A UDP socket bound to <paramref name="endpoint"/>, with buffers sized for bursts.</summary>
    public static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // Quietly: the report says what the sink got, once, instead of a warning per socket.
            SocketBuffers.Request(socket, SocketOptionName.ReceiveBuffer, SocketBufferBytes);
            SocketBuffers.Request(socket, SocketOptionName.SendBuffer, SocketBufferBytes);
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        SendSocket.Dispose();
        ReceiveSocket.Dispose();
    }
}
