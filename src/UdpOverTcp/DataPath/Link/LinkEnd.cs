using System.Net.Sockets;
using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.DataPath.Link;

/// <summary>How a link ended, for what follows from it; <see cref="LinkEnd.Text"/> says it in the log lines.</summary>
public enum LinkEndKind
{
    /// <summary>This end closed it: its loops or its delivery stopped.</summary>
    Closed,

    /// <summary>The peer closed its side (FIN).</summary>
    ClosedByPeer,

    /// <summary>A socket error, a protocol error from the peer, or the send side gone.</summary>
    Failed,

    /// <summary>A newer link from the same peer took its place.</summary>
    Replaced,

    /// <summary>The tunnel is stopping.</summary>
    ShuttingDown,
}

/// <summary>
/// Why a link ended (<see cref="TcpLink.CloseReason"/>): the kind, which logic tests, and the text of the
/// log lines ("link down: 10.0.0.2:41000 reset by peer"). Made once per link at most, never per datagram.
/// </summary>
public sealed class LinkEnd
{
    public static readonly LinkEnd Closed = new(LinkEndKind.Closed, "closed");

    public static readonly LinkEnd ClosedByPeer = new(LinkEndKind.ClosedByPeer, "closed by peer");

    public static readonly LinkEnd ShuttingDown = new(LinkEndKind.ShuttingDown, "shutting down");

    private LinkEnd(LinkEndKind kind, string text)
    {
        Kind = kind;
        Text = text;
    }

    public LinkEndKind Kind { get; }

    public string Text { get; }

    /// <summary>Ended by an error; <paramref name="why"/> is the log line's text, e.g. "reset by peer".</summary>
    public static LinkEnd Failed(string why) => new(LinkEndKind.Failed, why);

    /// <summary>Replaced by the link from <paramref name="by"/> (its remote address).</summary>
    public static LinkEnd Replaced(string by) => new(LinkEndKind.Replaced, $"replaced by {by}");

    /// <summary>How a socket error ended a link of the async loops.</summary>
    public static LinkEnd Of(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionReset => Failed("reset by peer"),
        SocketError.OperationAborted => Closed,
        SocketError.TimedOut => Failed("timed out"),
        _ => Failed(e.Message),
    };

    /// <summary>How a TLS error ended a link: after this end closed it, only that (closing makes OpenSSL fail too).</summary>
    public static LinkEnd Of(TlsException e, bool closedHere) => closedHere ? Closed : Failed("TLS: " + e.Message);

    /// <summary>
    /// An exception a link loop does not expect: a bug, said in the link's "link down" line (type and
    /// message) instead of ending the link as if it had just closed. After this end closed it, only that.
    /// </summary>
    public static LinkEnd Unexpected(Exception e, bool closedHere) => closedHere ? Closed : Failed($"internal error: {e.GetType().Name}: {e.Message}");

    public override string ToString() => Text;
}
