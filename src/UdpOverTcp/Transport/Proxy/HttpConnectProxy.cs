using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UdpOverTcp.Transport.Proxy;

/// <summary>
/// The client side of HTTP CONNECT (RFC 9110 section 9.3.6) on a socket already connected to the
/// proxy: one request, with Basic authentication (RFC 7617) when the proxy URL has credentials, and
/// the reply's header read byte by byte up to its blank line, so nothing of the tunnelled stream is
/// consumed. A 2xx status opens the tunnel; anything else is a <see cref="ProxyException"/> that
/// quotes the proxy's status line. The target goes to the proxy as given: a name is resolved there.
/// </summary>
public static class HttpConnectProxy
{
    /// <summary>A reply header longer than this is not a proxy's answer to CONNECT.</summary>
    public const int MaxHeaderBytes = 16 * 1024;

    /// <summary>Runs the handshake with blocking calls; returns when the tunnel to <paramref name="target"/> is open.</summary>
    public static void Connect(Socket socket, EndPoint target, string? userName, string? password)
    {
        ProxyIo.SendAll(socket, Request(target, userName, password));
        var header = ReadHeader(socket);
        int lineEnd = header.AsSpan().IndexOfAny((byte)'\r', (byte)'\n');
        var statusLine = header.AsSpan(0, lineEnd);
        string shown = ProxyIo.Printable(statusLine);
        if (statusLine.IsEmpty)
        {
            throw new ProxyException("the proxy's answer has no status line");
        }

        // "HTTP/1.1 200 Connection established": the version, a space, three digits.
        if (!statusLine.StartsWith("HTTP/"u8))
        {
            throw new ProxyException($"the proxy's answer is not HTTP (\"{shown}\"; a SOCKS proxy? then give socks5://)");
        }

        int space = statusLine.IndexOf((byte)' ');
        if (space < 0 || statusLine.Length < space + 4
            || !int.TryParse(statusLine.Slice(space + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status)
            || (statusLine.Length > space + 4 && statusLine[space + 4] != ' '))
        {
            throw new ProxyException($"the proxy's status line is malformed: \"{shown}\"");
        }

        if (status is >= 200 and < 300)
        {
            return;
        }

        throw new ProxyException(status == 407
            ? userName is null
                ? $"the proxy wants credentials (give http://USER:PASSWORD@HOST:PORT): \"{shown}\""
                : $"the proxy refused the credentials: \"{shown}\""
            : $"the proxy refused: \"{shown}\"");
    }

    /// <summary>The CONNECT request for <paramref name="target"/>.</summary>
    public static byte[] Request(EndPoint target, string? userName, string? password)
    {
        string authority = Authority(target);
        var sb = new StringBuilder();
        sb.Append("CONNECT ").Append(authority).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(authority).Append("\r\n");
        if (userName is not null)
        {
            string credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}"));
            sb.Append("Proxy-Authorization: Basic ").Append(credentials).Append("\r\n");
        }

        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>"host:port", "192.0.2.1:port" or "[2001:db8::1]:port", the request-target of CONNECT.</summary>
    public static string Authority(EndPoint target) => target switch
    {
        DnsEndPoint name => $"{name.Host}:{name.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => throw new ArgumentException("not an IP or DNS endpoint", nameof(target)),
    };

    /// <summary>The reply up to and including its blank line (CRLF CRLF; bare LFs are tolerated), one byte per read.</summary>
    private static byte[] ReadHeader(Socket socket)
    {
        var header = new List<byte>(256);
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            if (socket.Receive(one) == 0)
            {
                throw ProxyIo.ClosedEarly(header.Count);
            }

            header.Add(one[0]);
            int n = header.Count;
            if (one[0] == '\n' && n >= 2 && (header[n - 2] == '\n' || (header[n - 2] == '\r' && n >= 3 && header[n - 3] == '\n')))
            {
                return [.. header];
            }

            if (n >= MaxHeaderBytes)
            {
                throw new ProxyException($"the proxy's answer has no end of header within {MaxHeaderBytes} bytes");
            }
        }
    }
}
