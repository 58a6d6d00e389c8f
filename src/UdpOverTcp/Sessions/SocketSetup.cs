using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Sessions;

/// <summary>
/// Makes the tunnel's sockets as the options say: the bound UDP socket, the TCP listeners, the TCP
/// sockets the connect side dials. The options themselves are set by UdpOverTcp.Sockets (<see cref="SocketOptions"/>
/// and the classes beside it); this says which socket gets which.
/// </summary>
public static class SocketSetup
{
    /// <summary>The UDP socket that receives from the app and sends to it; bind errors surface here.</summary>
    /// <param name="ephemeral">--multi-client: --udp-bind's address with a port the OS picks, one socket per client.</param>
    public static Socket BindUdp(TunnelOptions options, bool ephemeral = false)
    {
        var endpoint = ephemeral ? new IPEndPoint(options.UdpBind!.Address, 0) : options.UdpBind!;
        var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                udp.DualMode = true;
            }

            PrepareUdp(udp);
            SocketBuffers.Set(udp, SocketOptionName.ReceiveBuffer, options.UdpReceiveBuffer, "udp receive");
            SocketBuffers.Set(udp, SocketOptionName.SendBuffer, options.UdpSendBuffer, "udp send");
            udp.Bind(endpoint);
            return udp;
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    /// <summary>A listener on every --tcp-listen address, or none (the connect side, whose --fwmark is checked here instead).</summary>
    public static Socket[] ListenAll(TunnelOptions options)
    {
        if (options.Role != TcpRole.Listen)
        {
            CheckFwMark(options);
            return [];
        }

        var listeners = new List<Socket>();
        try
        {
            foreach (var endpoint in (IEnumerable<IPEndPoint>)[options.TcpEndpoint!, .. options.MoreListenEndpoints])
            {
                listeners.Add(Listen(endpoint, options));
            }

            return [.. listeners];
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
    }

    /// <summary>A TCP socket for the connect side to dial <paramref name="family"/> with, set up before connecting.</summary>
    public static Socket NewTcp(AddressFamily family, TunnelOptions options)
    {
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            ConfigureTcp(socket, options);   // before connecting: the window scale and the SYN's route depend on it
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket Listen(IPEndPoint endpoint, TunnelOptions options)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                // Alone, [::] takes IPv4 too; beside an IPv4 listener on the same port it must not.
                listener.DualMode = options.MoreListenEndpoints.Count == 0;
            }

            if (!OperatingSystem.IsWindows())
            {
                // Restarting right after a crash must not fail on connections still in TIME_WAIT.
                SocketOptions.SetReuseAddress(listener);
            }

            ConfigureTcp(listener, options);   // accepted sockets inherit the buffers, the mark and the congestion control
            listener.Bind(endpoint);
            listener.Listen(Acceptor.Backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private static void ConfigureTcp(Socket socket, TunnelOptions options)
    {
        SocketBuffers.Set(socket, SocketOptionName.SendBuffer, options.TcpSendBuffer, "tcp send");
        SocketBuffers.Set(socket, SocketOptionName.ReceiveBuffer, options.TcpReceiveBuffer, "tcp receive");
        if (options.FwMark is uint mark)
        {
            SocketOptions.SetFwMark(socket, mark);   // the options allow --fwmark on Linux only
        }

        if (options.Congestion is string congestion)
        {
            TcpCongestion.Apply(socket, congestion);
        }
    }

    /// <summary>The connect side fails at start-up, not at the first connection, when the mark cannot be set.</summary>
    private static void CheckFwMark(TunnelOptions options)
    {
        if (options.FwMark is uint mark)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SocketOptions.SetFwMark(probe, mark);
        }
    }

    /// <summary>What a UDP socket needs on this OS before it is bound.</summary>
    private static void PrepareUdp(Socket udp)
    {
        if (OperatingSystem.IsWindows())
        {
            SocketOptions.DisableUdpConnReset(udp);
        }
    }
}
