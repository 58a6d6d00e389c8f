using System.Text;

namespace UdpOverTcp.Links.Upgrade;

/// <summary>
/// The listen side's answers to an Upgrade request, and the connect side's check of the answer it got.
/// The refusals look like a plain web server's (a short text body, <c>Connection: close</c>, no Server
/// field naming the tunnel), so a stranger probing the port learns nothing from them.
/// </summary>
public static class UpgradeResponse
{
    /// <summary>The answer that switches the connection to u16be frames, exactly as ProxyGuard's server sends its fields.</summary>
    public static readonly byte[] SwitchingProtocols =
        Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {UpgradeRequest.Protocol}\r\n\r\n");

    public static readonly byte[] NotFound = Refusal("404 Not Found", "");

    public static readonly byte[] BadRequest = Refusal("400 Bad Request", "");

    public static readonly byte[] HeadTooLarge = Refusal("431 Request Header Fields Too Large", "");

    /// <summary>426 must name the protocol to upgrade to (RFC 9110 section 15.5.22).</summary>
    public static readonly byte[] UpgradeRequired =
        Refusal("426 Upgrade Required", $"Upgrade: {UpgradeRequest.Protocol}\r\n");

    public static byte[] For(UpgradeVerdict verdict) => verdict switch
    {
        UpgradeVerdict.Upgrade => SwitchingProtocols,
        UpgradeVerdict.NotFound => NotFound,
        UpgradeVerdict.UpgradeRequired => UpgradeRequired,
        UpgradeVerdict.HeadTooLarge => HeadTooLarge,
        _ => BadRequest,
    };

    /// <summary>
    /// Null when <paramref name="head"/> is the 101 answer with <c>Connection: Upgrade</c> and <c>Upgrade: UoTLV/1</c>
    /// (any case, other fields tolerated); otherwise why not, for the log: e.g. "404 Not Found".
    /// </summary>
    public static string? Problem(HttpHead head)
    {
        if (head.State == HeadState.TooLarge)
        {
            return $"the answer has no end of header within {HttpHead.MaxBytes} bytes";
        }

        var message = head.State == HeadState.Complete ? HttpMessage.Parse(head.Bytes) : null;
        string statusLine = message?.StartLine ?? "";
        // "HTTP/1.1 101 Switching Protocols": the version, a space, three digits, a space and a reason.
        if (message is null || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) || statusLine.Length < 12
            || statusLine[8] != ' ' || !char.IsAsciiDigit(statusLine[9]) || !char.IsAsciiDigit(statusLine[10]) || !char.IsAsciiDigit(statusLine[11])
            || (statusLine.Length > 12 && statusLine[12] != ' '))
        {
            return "the answer is not an HTTP/1.1 response";
        }

        string status = statusLine[9..].TrimEnd();
        if (!statusLine.AsSpan(9).StartsWith("101"))
        {
            return status;
        }

        if (!message.Lists("Connection", "Upgrade"))
        {
            return $"{status} without Connection: Upgrade";
        }

        return message.Lists("Upgrade", UpgradeRequest.Protocol) ? null : $"{status} without Upgrade: {UpgradeRequest.Protocol}";
    }

    private static byte[] Refusal(string status, string moreFields)
    {
        string body = status[4..] + "\n";
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\n{moreFields}Content-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
    }
}
