using System.Net.Sockets;

namespace UdpOverTcp.Links.Setup;

/// <summary>
/// Where a link's set-up (the HTTP Upgrade, the --secret-file handshake) sends and receives, with blocking
/// calls on a set-up thread: the socket itself (<see cref="SocketChannel"/>), or TLS over it
/// (<see cref="TlsSetupChannel"/>). A failed connection is a <see cref="SocketException"/>, as on a socket.
/// </summary>
public interface ISetupChannel
{
    /// <summary>Sends all of <paramref name="bytes"/>.</summary>
    void Send(ReadOnlySpan<byte> bytes);

    /// <summary>Takes up to <paramref name="destination"/>'s length; 0 when the peer closed.</summary>
    int Receive(Span<byte> destination);

    /// <summary>As <see cref="Receive"/>, but the bytes stay: the next Peek or Receive sees them again.</summary>
    int Peek(Span<byte> destination);
}

/// <summary>The plain socket as a set-up channel.</summary>
public sealed class SocketChannel(Socket socket) : ISetupChannel
{
    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    public int Receive(Span<byte> destination) => socket.Receive(destination);

    public int Peek(Span<byte> destination) => socket.Receive(destination, SocketFlags.Peek);
}
