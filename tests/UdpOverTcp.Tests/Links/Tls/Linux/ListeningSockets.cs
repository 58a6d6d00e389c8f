using System.Globalization;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>Whether a TCP socket listens on a port, from /proc/net/tcp and tcp6 (state 0A: LISTEN).</summary>
public static class ListeningSockets
{
    public static bool Has(int port)
    {
        string local = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Any(table =>
            File.ReadLines(table).Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(fields => fields[1].EndsWith(local, StringComparison.Ordinal) && fields[3] == "0A"));
    }
}
