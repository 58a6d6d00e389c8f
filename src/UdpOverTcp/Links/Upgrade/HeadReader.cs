using System.Net.Sockets;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Links.Setup;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>
/// Reads an HTTP head off a connection without reading past it: it peeks, lets <see cref="HttpHead.Take"/> say
/// how much is the head's, and consumes exactly that. Every read consumes something, so a poll that
/// finds the socket readable is never left with the same bytes again (a stalled partial head cannot spin).
/// </summary>
public static class HeadReader
{
    /// <summary>
    /// One read. True when it took bytes; false with <paramref name="error"/> WouldBlock when a non-blocking
    /// socket had none, or with another error or Success (the peer closed) when the connection is over.
    /// </summary>
    public static bool ReadOnce(IPendingChannel channel, HttpHead head, out SocketError error)
    {
        var free = head.Free;
        int peeked = channel.Receive(free, SocketFlags.Peek, out error);
        if (error != SocketError.Success || peeked == 0)
        {
            return false;
        }

        int taken = head.Take(peeked);
        // The same bytes again, now consumed: the peek saw them, so they are there.
        int consumed = channel.Receive(free[..taken], SocketFlags.None, out error);
        return error == SocketError.Success && consumed == taken;
    }

    /// <summary>Reads with blocking calls until the head is complete or judged bad; throws <see cref="SocketException"/> if the connection ends first.</summary>
    public static void ReadBlocking(ISetupChannel channel, HttpHead head)
    {
        while (head.State == HeadState.Reading)
        {
            var free = head.Free;
            int peeked = channel.Peek(free);
            if (peeked == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            int taken = head.Take(peeked);
            if (channel.Receive(free[..taken]) != taken)   // the same bytes again, now consumed
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }
        }
    }

    /// <summary>
    /// Before a refused connection is closed: reads away (up to a bound) what the client sent past the part
    /// that was judged, and sends FIN. Closing with unread bytes would send a reset instead, which may reach
    /// the client before it reads the answer, and then it never sees the 404 or 400.
    /// </summary>
    public static void DiscardWaitingAndShutdown(Socket socket)
    {
        Span<byte> scratch = stackalloc byte[1024];
        for (int i = 0; i < 64 && socket.Available > 0; i++)
        {
            if (socket.Receive(scratch, SocketFlags.None, out _) <= 0)
            {
                break;
            }
        }

        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Reset already: nothing more to tell the client.
        }
    }
}
