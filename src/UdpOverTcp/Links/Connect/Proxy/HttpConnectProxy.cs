using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Links.Connect.Proxy;

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
        int lineEnd = 0;
        while (header[lineEnd] is not ((byte)'\r' or (byte)'\n'))
        {
            lineEnd++;
        }

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
        int status = 0;
        for (int i = space + 1; space > 0 && i < space + 4 && i < statusLine.Length && char.IsAsciiDigit((char)statusLine[i]); i++)
        {
            status = (status * 10) + statusLine[i] - '0';
        }

        if (status < 100 || (statusLine.Length > space + 4 && statusLine[space + 4] != ' '))
        {
            throw new ProxyException($"the proxy's status line is malformed: \"{shown}\"");
        }

        if (status is >= 200 and < 300)
        {
            return;
        }

        // 407 is the proxy's "authenticate"; some (tinyproxy) answer wrong credentials with 401.
        throw new ProxyException(status is 407 or 401
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
            string credentials = Base64(Encoding.UTF8.GetBytes($"{userName}:{password}"));
            sb.Append("Proxy-Authorization: Basic ").Append(credentials).Append("\r\n");
        }

        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>"host:port", "192.0.2.1:port" or "[2001:db8::1]:port", the request-target of CONNECT.</summary>
    public static string Authority(EndPoint target) => target switch
    {
        HostNameEndPoint name => $"{name.Host}:{name.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => throw new ArgumentException("not an IP or DNS endpoint", nameof(target)),
    };

    /// <summary>The reply up to and including its blank line (CRLF CRLF; bare LFs are tolerated), one byte per read.</summary>
    private static byte[] ReadHeader(Socket socket)
    {
        var header = new byte[MaxHeaderBytes];
        int n = 0;
        while (true)
        {
            if (socket.Receive(header, n, 1, SocketFlags.None) == 0)
            {
                throw ProxyIo.ClosedEarly(n);
            }

            n++;
            if (header[n - 1] == '\n' && n >= 2 && (header[n - 2] == '\n' || (header[n - 2] == '\r' && n >= 3 && header[n - 3] == '\n')))
            {
                return header[..n];
            }

            if (n == MaxHeaderBytes)
            {
                throw new ProxyException($"the proxy's answer has no end of header within {MaxHeaderBytes} bytes");
            }
        }
    }

    /// <summary>Base64 (RFC 4648, padded), for the Basic credentials: a loop is smaller in the binary than Convert's vectorized one.</summary>
    public static string Base64(ReadOnlySpan<byte> data)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var sb = new StringBuilder((data.Length + 2) / 3 * 4);
        for (int i = 0; i < data.Length; i += 3)
        {
            int remaining = data.Length - i;
            int block = (data[i] << 16) | (remaining > 1 ? data[i + 1] << 8 : 0) | (remaining > 2 ? data[i + 2] : 0);
            sb.Append(Alphabet[(block >> 18) & 63]).Append(Alphabet[(block >> 12) & 63]);
            sb.Append(remaining > 1 ? Alphabet[(block >> 6) & 63] : '=').Append(remaining > 2 ? Alphabet[block & 63] : '=');
        }

        return sb.ToString();
    }
}
