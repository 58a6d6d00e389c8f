using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>A loopback port the OS just handed out and released, for processes that must be told a port up front.</summary>
public static class FreePort
{
    public static int Tcp() => Get(SocketType.Stream, ProtocolType.Tcp);

    public static int Udp() => Get(SocketType.Dgram, ProtocolType.Udp);

    private static int Get(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
