using System.Globalization;
using System.Net;


namespace UdpOverTcp.CommandLine;

/// <summary>
/// Parses the PORT | ADDR:PORT | [IPv6]:PORT form every address option takes, and for the options that
/// also take a host name (--tcp-connect, --udp-sendto) HOST:PORT.
/// </summary>
public static class EndpointParser
{
    /// <summary>The longest host name DNS allows (253 characters without the trailing dot).</summary>
    public const int MaxHostNameLength = 253;

    /// <summary>
    /// As <see cref="Parse"/>, but the host may also be a name: an <see cref="IPEndPoint"/> for an address,
    /// a <see cref="HostNameEndPoint"/> for a name (resolved later, by the caller, as often as it needs).
    /// </summary>
    public static EndPoint ParseHost(string option, string value, IPAddress defaultAddress, bool allowPortZero)
    {
        int colon = value.LastIndexOf(':');
        if (colon < 0 && value.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0)
        {
            throw new UsageException($"{option}: '{value}' is not PORT, HOST:PORT or [IPv6]:PORT");
        }

        if (colon > 0 && !value.StartsWith('[') && value.IndexOf(':') == colon)
        {
            string host = value[..colon];
            if (IsHostName(host))
            {
                int port = ParsePort(option, value[(colon + 1)..]);
                if (port == 0 && !allowPortZero)
                {
                    throw new UsageException($"{option}: port 0 is not a destination");
                }

                return new HostNameEndPoint(host.TrimEnd('.'), port);
            }

            if (!LooksLikeIPv4(host))
            {
                throw new UsageException($"{option}: '{host}' is neither an IP address nor a host name (IPv6 is written [::1]:PORT)");
            }
        }

        return Parse(option, value, defaultAddress, allowPortZero);
    }

    /// <summary>
    /// A DNS host name: dot-separated labels of letters, digits, '-' and '_' (1 to 63 characters, no '-'
    /// at either end), at most 253 characters, and not all digits and dots (that is a mistyped IPv4 address).
    /// </summary>
    public static bool IsHostName(string host)
    {
        string name = host.EndsWith('.') ? host[..^1] : host;
        if (name.Length == 0 || name.Length > MaxHostNameLength || LooksLikeIPv4(name))
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool LooksLikeIPv4(string host)
    {
        foreach (char c in host)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }

        return host.Length > 0;
    }

    /// <param name="option">Shown in the error message, e.g. <c>--udp-bind</c>.</param>
    /// <param name="defaultAddress">Used when only a port is given.</param>
    /// <param name="allowPortZero">Binding to port 0 asks the OS for one; sending to port 0 is meaningless.</param>
    public static IPEndPoint Parse(string option, string value, IPAddress defaultAddress, bool allowPortZero)
    {
        IPEndPoint endpoint;
        if (value.Length > 0 && value.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            endpoint = new IPEndPoint(defaultAddress, ParsePort(option, value));
        }
        else
        {
            int colon = value.LastIndexOf(':');
            bool bracketed = value.StartsWith('[');
            if (colon < 0 || (bracketed && colon < value.IndexOf(']')) || (!bracketed && value.IndexOf(':') != colon))
            {
                throw new UsageException($"{option}: '{value}' is not PORT, ADDR:PORT or [IPv6]:PORT");
            }

            string host = value[..colon];
            if (bracketed)
            {
                if (!host.EndsWith(']'))
                {
                    throw new UsageException($"{option}: '{value}' is not PORT, ADDR:PORT or [IPv6]:PORT");
                }

                host = host[1..^1];
            }

            // IPAddress.TryParse takes inet_aton shorthand ("1.2.3", "123"); here that is a typo, not an address.
            bool dottedQuad = host.AsSpan().Count('.') == 3;
            if (!IPAddress.TryParse(host, out var address)
                || (!bracketed && (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !dottedQuad)))
            {
                throw new UsageException($"{option}: '{host}' is not an IP address (IPv6 is written [::1]:PORT)");
            }

            endpoint = new IPEndPoint(address, ParsePort(option, value[(colon + 1)..]));
        }

        if (endpoint.Port == 0 && !allowPortZero)
        {
            throw new UsageException($"{option}: port 0 is not a destination");
        }

        return endpoint;
    }

    private static int ParsePort(string option, string text)
    {
        if (text.Length == 0 || text.Length > 5 || text.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new UsageException($"{option}: port '{text}' is not a number from 0 to 65535");
        }

        return port;
    }
}
