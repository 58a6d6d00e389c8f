using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>A stand-in for the user's UDP application: one bound socket on loopback.</summary>
public sealed class UdpApp : IDisposable
{
    private readonly byte[] _buffer = new byte[65536];

    /// <param name="reuseAddress">SO_REUSEADDR, to share a port with a peer bound to 0.0.0.0 on it (udptunnel).</param>
    public UdpApp(IPEndPoint? bind = null, bool reuseAddress = false)
    {
        bind ??= new IPEndPoint(IPAddress.Loopback, 0);
        Socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        Socket.ReceiveBufferSize = 1 << 20;
        if (reuseAddress)
        {
            Socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        Socket.Bind(bind);
    }

    public Socket Socket { get; }

    public IPEndPoint EndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    public void SendTo(IPEndPoint target, ReadOnlySpan<byte> datagram) => Socket.SendTo(datagram, SocketFlags.None, target);

    /// <summary>The next datagram and who sent it.</summary>
    public async Task<(byte[] Data, IPEndPoint From)> ReceiveAsync(string what = "a datagram")
    {
        var result = await Socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0)).Within(what);
        return (_buffer.AsSpan(0, result.ReceivedBytes).ToArray(), (IPEndPoint)result.RemoteEndPoint);
    }

    public void Dispose() => Socket.Dispose();
}
