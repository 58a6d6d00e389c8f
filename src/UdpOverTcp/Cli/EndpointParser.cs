using System.Globalization;
using System.Net;

namespace UdpOverTcp.Cli;

/// <summary>Parses the PORT | ADDR:PORT | [IPv6]:PORT form every address option takes.</summary>
public static class EndpointParser
{
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
