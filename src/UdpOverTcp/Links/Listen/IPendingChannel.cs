using System.Net.Sockets;
using UdpOverTcp.Links.Upgrade;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// What a pending connection's set-up steps (the HTTP Upgrade, the secret's handshake) read from and answer
/// on, without waiting, on the acceptor's thread: the socket itself (<see cref="PendingSocket"/>), or TLS
/// over it (<see cref="PendingTls"/>). The blocking counterpart, for the connect side, is Setup.ISetupChannel.
/// </summary>
public interface IPendingChannel
{
    /// <summary>
    /// As <see cref="Socket.Receive(Span{byte}, SocketFlags, out SocketError)"/> on a non-blocking socket, with
    /// <see cref="SocketFlags.None"/> or <see cref="SocketFlags.Peek"/>: <see cref="SocketError.WouldBlock"/> when
    /// nothing is there yet, 0 bytes and Success when the peer closed.
    /// </summary>
    int Receive(Span<byte> destination, SocketFlags flags, out SocketError error);

    /// <summary>Sends all of <paramref name="bytes"/> at once (a short answer on a fresh connection); false when the connection did not take them.</summary>
    bool Send(ReadOnlySpan<byte> bytes);

    /// <summary>After a refusal: ends the connection so that the client still reads the answer (see <see cref="HeadReader.DiscardWaitingAndShutdown"/>).</summary>
    void DiscardWaitingAndShutdown();
}

/// <summary>The plain socket as a pending connection's channel.</summary>
public sealed class PendingSocket(Socket socket) : IPendingChannel
{
    public int Receive(Span<byte> destination, SocketFlags flags, out SocketError error) => socket.Receive(destination, flags, out error);

    public bool Send(ReadOnlySpan<byte> bytes) => socket.Send(bytes, SocketFlags.None, out _) == bytes.Length;

    public void DiscardWaitingAndShutdown() => HeadReader.DiscardWaitingAndShutdown(socket);
}
