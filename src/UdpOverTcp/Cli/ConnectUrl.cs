using System.Net;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>
/// --tcp-connect in URL form: <c>http://HOST[:PORT]/PATH</c> dials HOST:PORT (80 by default; HOST a name,
/// an IPv4 address or [IPv6]) and asks for the HTTP Upgrade to UoTLV/1 on PATH before the frames (ProxyGuard's
/// handshake). <c>https://HOST[:PORT]/PATH</c> (443 by default) does the same over TLS. Parsed by hand, as <see cref="ProxyUri"/> is.
/// </summary>
public sealed record ConnectUrl(EndPoint Target, string HostField, string Path, bool Tls)
{
    private const string Option = "--tcp-connect";

    /// <summary>Whether <paramref name="value"/> is in URL form at all (else it is HOST:PORT as before).</summary>
    public static bool IsUrl(string value) => value.Contains("://", StringComparison.Ordinal);

    public static ConnectUrl Parse(string value)
    {
        bool tls = value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!tls && !value.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"{Option}: '{value}' is not HOST:PORT or http[s]://HOST[:PORT]/PATH");
        }

        string rest = value[(tls ? "https://" : "http://").Length..];
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        string path = slash < 0 ? "/" : rest[slash..];
        int fragment = path.IndexOf('#');
        path = fragment < 0 ? path : path[..fragment];
        if (authority.Length == 0 || authority.Contains('@'))
        {
            throw new UsageException($"{Option}: '{value}' has no HOST (credentials are not supported)");
        }

        if (path.AsSpan().IndexOfAnyExceptInRange('!', '~') >= 0)
        {
            throw new UsageException($"{Option}: the path may hold no spaces or control characters (percent-encode them)");
        }

        // "[v6]:port" or "name:port" have a port; "[v6]" and "name" take HTTP's 80 (HTTPS's 443).
        bool hasPort = authority.StartsWith('[') ? authority.Contains("]:", StringComparison.Ordinal) : authority.Contains(':');
        var target = EndpointParser.ParseHost(Option, hasPort ? authority : authority + (tls ? ":443" : ":80"), IPAddress.Loopback, allowPortZero: false);
        return new ConnectUrl(target, authority, path, tls);
    }

    /// <summary>HOST as TLS names it (SNI, verification): the name, or the address without brackets.</summary>
    public static string TlsHost(EndPoint target) => target is HostNameEndPoint name ? name.Host : ((IPEndPoint)target).Address.ToString();

    /// <summary>--http-upgrade's PATH as the requests carry it: with its leading '/'.</summary>
    public static string ParseListenPath(string value)
    {
        if (value.Length == 0 || value.AsSpan().IndexOfAnyExceptInRange('!', '~') >= 0 || value.Contains('?') || value.Contains('#'))
        {
            throw new UsageException($"--http-upgrade: '{value}' is not a URL path (no spaces, '?' or '#')");
        }

        return value.StartsWith('/') ? value : "/" + value;
    }
}
