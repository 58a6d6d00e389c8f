using System.Net.Sockets;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>
/// Reads an HTTP head off a socket without reading past it: it peeks, lets <see cref="HttpHead.Take"/> say
/// how much is the head's, and consumes exactly that. Every read consumes something, so a poll that
/// finds the socket readable is never left with the same bytes again (a stalled partial head cannot spin).
/// </summary>
public static class HeadReader
{
    /// <summary>
    /// One read. True when it took bytes; false with <paramref name="error"/> WouldBlock when a non-blocking
    /// socket had none, or with another error or Success (the peer closed) when the connection is over.
    /// </summary>
    public static bool ReadOnce(Socket socket, HttpHead head, out SocketError error)
    {
        var free = head.Free;
        int peeked = socket.Receive(free, SocketFlags.Peek, out error);
        if (error != SocketError.Success || peeked == 0)
        {
            return false;
        }

        int taken = head.Take(peeked);
        // The same bytes again, now consumed: the peek saw them, so they are there.
        int consumed = socket.Receive(free[..taken], SocketFlags.None, out error);
        return error == SocketError.Success && consumed == taken;
    }

    /// <summary>Reads with blocking calls until the head is complete or judged bad; throws <see cref="SocketException"/> if the connection ends first.</summary>
    public static void ReadBlocking(Socket socket, HttpHead head)
    {
        while (head.State == HeadState.Reading)
        {
            if (!ReadOnce(socket, head, out var error))
            {
                throw new SocketException((int)(error == SocketError.Success ? SocketError.ConnectionReset : error));
            }
        }
    }
}
