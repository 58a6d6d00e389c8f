using UdpOverTcp.Links.Setup;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>
/// The connect side of the HTTP Upgrade (--tcp-connect http://HOST:PORT/PATH), with blocking calls on a
/// set-up thread (see Listen.BlockingSetup): sends the request, reads the answer's head (nothing past
/// it), and accepts only 101 with both fields; anything else is an <see cref="UpgradeRefusedException"/>.
/// </summary>
public static class UpgradeClient
{
    /// <param name="channel">The socket, or TLS over it (--tcp-connect https://).</param>
    public static void Upgrade(ISetupChannel channel, string host, string path)
    {
        channel.Send(UpgradeRequest.Write(host, path));
        var head = new HttpHead();
        HeadReader.ReadBlocking(channel, head);   // a SocketException when the server closes first
        if (UpgradeResponse.Problem(head) is { } problem)
        {
            throw new UpgradeRefusedException(problem);
        }
    }
}

/// <summary>The server did not switch to UoTLV/1; the message says what it answered, e.g. "404 Not Found".</summary>
public sealed class UpgradeRefusedException(string answer) : Exception($"http upgrade refused: {answer}");
