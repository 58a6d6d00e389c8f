using System.Text;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>What the listen side answers an Upgrade request with (see <see cref="UpgradeRequest.Judge"/>).</summary>
public enum UpgradeVerdict
{
    /// <summary>101 Switching Protocols: from here on the connection carries u16be frames.</summary>
    Upgrade,
    NotFound,
    BadRequest,

    /// <summary>A GET for the right path without the Upgrade to UoTLV/1 (a browser, say): ProxyGuard answers it so too.</summary>
    UpgradeRequired,
    HeadTooLarge,
}

/// <summary>
/// The Upgrade request of ProxyGuard's handshake (eduVPN; issue 23): <c>GET /PATH HTTP/1.1</c> with
/// <c>Host</c>, <c>Connection: Upgrade</c> and <c>Upgrade: UoTLV/1</c>. The connect side writes it; the listen
/// side judges one, as a plain web server would for anything that is not it (404 for another path).
/// </summary>
public static class UpgradeRequest
{
    /// <summary>The protocol token: UDP over TCP, length-value (a 2-byte big-endian length), version 1.</summary>
    public const string Protocol = "UoTLV/1";

    /// <summary>"/PATH" from an option that may omit its leading slash.</summary>
    public static string NormalizePath(string path) => path.StartsWith('/') ? path : "/" + path;

    /// <summary>The request for <paramref name="path"/> on <paramref name="host"/> ("name", "name:port", "[v6]:port").</summary>
    public static byte[] Write(string host, string path) =>
        Encoding.ASCII.GetBytes($"GET {NormalizePath(path)} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: {Protocol}\r\n\r\n");

    /// <summary>Judges a head that <paramref name="head"/> took, against the one path served (already normalized).</summary>
    public static UpgradeVerdict Judge(HttpHead head, string path)
    {
        if (head.State == HeadState.TooLarge)
        {
            return UpgradeVerdict.HeadTooLarge;
        }

        var message = head.State == HeadState.Complete ? HttpMessage.Parse(head.Bytes) : null;
        if (message is null)
        {
            return UpgradeVerdict.BadRequest;
        }

        // "METHOD SP request-target SP HTTP-version", exactly one space each.
        string[] parts = message.StartLine.Split(' ');
        if (parts.Length != 3 || parts[2] != "HTTP/1.1" || !parts[1].StartsWith('/') || message.Count("Host") != 1)
        {
            return UpgradeVerdict.BadRequest;
        }

        // The target's path only: a query is no part of what is compared.
        int query = parts[1].IndexOf('?');
        string target = query < 0 ? parts[1] : parts[1][..query];
        if (target != path)
        {
            return UpgradeVerdict.NotFound;
        }

        // A body would be taken for frames: an Upgrade request has none.
        if (parts[0] != "GET" || message.Count("Transfer-Encoding") != 0 || !NoBody(message))
        {
            return UpgradeVerdict.BadRequest;
        }

        return message.Lists("Connection", "Upgrade") && message.Lists("Upgrade", Protocol)
            ? UpgradeVerdict.Upgrade
            : UpgradeVerdict.UpgradeRequired;
    }

    private static bool NoBody(HttpMessage message)
    {
        foreach (string length in message.Values("Content-Length"))
        {
            if (length != "0")
            {
                return false;
            }
        }

        return true;
    }
}
