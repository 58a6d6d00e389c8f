using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>A real TCP connection on 127.0.0.1, both ends in this process: for tests of what runs on one (links, TCP_INFO).</summary>
public static class LoopbackTcp
{
    /// <summary>Connects a new socket to a listener of its own, which is closed once it accepted: the caller owns both ends.</summary>
    public static (Socket Client, Socket Server) Connect()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }
}
