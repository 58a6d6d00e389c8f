using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Links.Upgrade;

namespace UdpOverTcp.Links.Listen;

/// <summary>One connection under <see cref="PendingHandshakes"/>: where each of its set-up steps stands.</summary>
public sealed class Pending(Socket socket, PendingTls? tls, Handshake? handshake, long deadline, string peer)
{
    public Socket Socket { get; } = socket;

    /// <summary>TLS under the steps; null without --tls-cert.</summary>
    public PendingTls? Tls { get; } = tls;

    /// <summary>Where the steps read and answer: <see cref="Tls"/>, or the socket.</summary>
    public IPendingChannel Channel { get; } = (IPendingChannel?)tls ?? new PendingSocket(socket);

    /// <summary>The secret's handshake; null without --secret-file.</summary>
    public Handshake? Handshake { get; } = handshake;

    /// <summary>The Upgrade request as far as it came; null without --http-upgrade, or once answered with 101.</summary>
    public HttpHead? Upgrade { get; set; }

    public long Deadline { get; } = deadline;

    public string Peer { get; } = peer;

    public LinkedListNode<Pending>? Node { get; set; }

    /// <summary>Closes the connection: it did not become the link.</summary>
    public void Close()
    {
        Tls?.Dispose();
        Socket.Dispose();
    }
}
