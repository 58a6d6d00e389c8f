using System.Net.Sockets;
using UdpOverTcp.Links.Listen;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>Where a connection's Upgrade request stands after <see cref="UpgradeListener.Advance"/>.</summary>
public enum UpgradeStep
{
    /// <summary>The head is not complete yet.</summary>
    Waiting,

    /// <summary>Answered 101: the connection carries frames (or the secret's hello) from here on.</summary>
    Upgraded,

    /// <summary>Answered as a web server would (404, 400, 426, 431) and shut down; the caller closes it.</summary>
    Refused,

    /// <summary>The client went away (or reset) first; the caller closes it.</summary>
    Closed,
}

/// <summary>
/// The listen side of the HTTP Upgrade on a non-blocking socket (or TLS over it), one poll's worth at a time, driven by
/// Listen.PendingHandshakes (which keeps the deadline and the admission): reads what is there of the head
/// (never past it: that is the hello or the first frame), and once it is complete answers it.
/// </summary>
public static class UpgradeListener
{
    /// <param name="readable">Whether poll said the socket was readable: then nothing to read means urgent data, which no HTTP client sends.</param>
    public static UpgradeStep Advance(IPendingChannel channel, HttpHead head, string path, bool readable)
    {
        if (!HeadReader.ReadOnce(channel, head, out var error))
        {
            return error != SocketError.WouldBlock ? UpgradeStep.Closed
                : readable ? UpgradeStep.Refused
                : UpgradeStep.Waiting;
        }

        if (head.State == HeadState.Reading)
        {
            return UpgradeStep.Waiting;
        }

        var verdict = UpgradeRequest.Judge(head, path);
        var answer = UpgradeResponse.For(verdict);
        // A short answer on a fresh connection: the socket's send buffer always has room.
        bool sent = channel.Send(answer);
        if (verdict == UpgradeVerdict.Upgrade && sent)
        {
            return UpgradeStep.Upgraded;
        }

        // Closed after the refusal: no second request on this connection.
        channel.DiscardWaitingAndShutdown();
        return sent ? UpgradeStep.Refused : UpgradeStep.Closed;
    }
}
