using System.Net;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>How the connect side talks to its proxy.</summary>
public enum ProxyKind
{
    /// <summary>HTTP CONNECT (RFC 9110 section 9.3.6), with Basic authentication (RFC 7617) when credentials are given.</summary>
    HttpConnect,

    /// <summary>SOCKS5 (RFC 1928), with user/password authentication (RFC 1929) when credentials are given.</summary>
    Socks5,
}

/// <summary>
/// --proxy (or $UDP_OVER_TCP_PROXY): <c>http://[USER:PASSWORD@]HOST:PORT</c> or
/// <c>socks5://[USER:PASSWORD@]HOST:PORT</c>; HOST is a name, an IPv4 address or [IPv6]. The user and
/// password may be percent-encoded (%40 for '@', %3A for ':'). Parsed by hand: System.Uri would grow
/// the binary for four fields. <see cref="ToString"/> never shows the credentials, so the value can be
/// logged; the error messages never echo the URL either.
/// </summary>
public sealed class ProxyUri
{
    /// <summary>The environment variable that sets the proxy when --proxy is not given (the connect side only).</summary>
    public const string EnvironmentVariable = "UDP_OVER_TCP_PROXY";

    private ProxyUri(ProxyKind kind, EndPoint server, string? userName, string? password)
    {
        Kind = kind;
        Server = server;
        UserName = userName;
        Password = password;
    }

    public ProxyKind Kind { get; }

    /// <summary>The proxy itself: an <see cref="IPEndPoint"/>, or a <see cref="HostNameEndPoint"/> resolved before each dial.</summary>
    public EndPoint Server { get; }

    public string? UserName { get; }

    public string? Password { get; }

    /// <summary>For logs: "http proxy 10.0.0.1:3128" or "socks5 proxy proxy.example:1080", never the credentials.</summary>
    public override string ToString() => $"{Scheme} proxy {Format(Server)}";

    /// <summary>"http" or "socks5".</summary>
    public string Scheme => Kind == ProxyKind.HttpConnect ? "http" : "socks5";

    /// <summary>Parses <paramref name="value"/>; <paramref name="source"/> ("--proxy" or the variable's name) begins each error message.</summary>
    public static ProxyUri Parse(string source, string value)
    {
        int schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            throw new UsageException($"{source}: not a proxy URL; give http://[USER:PASSWORD@]HOST:PORT or socks5://[USER:PASSWORD@]HOST:PORT");
        }

        string scheme = value[..schemeEnd].ToLowerInvariant();
        var kind = scheme switch
        {
            "http" => ProxyKind.HttpConnect,
            // socks5h is curl's spelling for "the proxy resolves the names": this client always lets it.
            "socks5" or "socks5h" => ProxyKind.Socks5,
            "https" => throw new UsageException($"{source}: https:// (TLS to the proxy) is not supported; give http:// or socks5://"),
            _ => throw new UsageException($"{source}: scheme '{Printable(scheme)}' is not http or socks5"),
        };

        string rest = value[(schemeEnd + 3)..];
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        if (rest.Contains('/') || rest.Contains('?') || rest.Contains('#'))
        {
            throw new UsageException($"{source}: a proxy URL has no path, query or fragment; give {scheme}://[USER:PASSWORD@]HOST:PORT");
        }

        string? userName = null, password = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest[..at];
            rest = rest[(at + 1)..];
            int colon = userInfo.IndexOf(':');
            userName = PercentDecode(source, colon >= 0 ? userInfo[..colon] : userInfo);
            password = colon >= 0 ? PercentDecode(source, userInfo[(colon + 1)..]) : "";
            if (userName.Length == 0)
            {
                throw new UsageException($"{source}: the user name before '@' is empty");
            }

            if (kind == ProxyKind.Socks5 && (Encoding.UTF8.GetByteCount(userName) > 255 || Encoding.UTF8.GetByteCount(password) > 255))
            {
                throw new UsageException($"{source}: SOCKS5 takes a user name and a password of at most 255 bytes each (RFC 1929)");
            }

            if (kind == ProxyKind.HttpConnect && userName.Contains(':'))
            {
                throw new UsageException($"{source}: a user name for Basic authentication cannot contain ':'");
            }
        }

        bool hasPort = rest.LastIndexOf(':') > rest.LastIndexOf(']');
        if (!hasPort)
        {
            throw new UsageException($"{source}: give the proxy's port, e.g. {scheme}://HOST:{(kind == ProxyKind.HttpConnect ? 3128 : 1080)}");
        }

        // The host part is not secret: its errors may show it.
        var server = EndpointParser.ParseHost(source, rest, IPAddress.Loopback, allowPortZero: false);
        return new ProxyUri(kind, server, userName, password);
    }

    /// <summary>"host:port", "1.2.3.4:port" or "[v6]:port".</summary>
    public static string Format(EndPoint endpoint) => endpoint switch
    {
        HostNameEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    private static string PercentDecode(string source, string text)
    {
        if (!text.Contains('%'))
        {
            return text;
        }

        // '%' and the hex digits are ASCII: decoding the UTF-8 bytes in place is decoding the text.
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int length = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != '%')
            {
                bytes[length++] = bytes[i];
                continue;
            }

            int high = i + 2 < bytes.Length ? HexValue(bytes[i + 1]) : -1;
            int low = i + 2 < bytes.Length ? HexValue(bytes[i + 2]) : -1;
            if (high < 0 || low < 0)
            {
                throw new UsageException($"{source}: a '%' in the user name or password is not followed by two hex digits");
            }

            bytes[length++] = (byte)((high << 4) | low);
            i += 2;
        }

        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Printable(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return "?";
            }
        }

        return text.Length <= 20 ? text : "?";
    }
}
