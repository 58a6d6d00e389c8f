using System.Net.Sockets;
using System.Text;
using UdpOverTcp.CommandLine;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// --congestion: TCP_CONGESTION, the congestion control of a link's sockets (Linux), e.g. bbr on a lossy
/// long path where cubic backs off at every loss. Set on the connect side's sockets before they dial,
/// and on the listeners: Linux gives an accepted connection its listener's congestion control (unless
/// a route names one). The name is tried once at start-up (<see cref="Check"/>), so a typo or an
/// algorithm the kernel lacks is a usage error at once, not a failure at the first link.
/// </summary>
public static class TcpCongestion
{
    /// <summary>TCP_CA_NAME_MAX (16) less the terminating NUL.</summary>
    public const int MaxNameLength = 15;

    private const string Available = "/proc/sys/net/ipv4/tcp_available_congestion_control";
    private const string Allowed = "/proc/sys/net/ipv4/tcp_allowed_congestion_control";

    /// <summary>Sets <paramref name="name"/> on <paramref name="socket"/>; throws SocketException when the kernel refuses.</summary>
    public static void Apply(Socket socket, string name) =>
        socket.SetRawSocketOption(IPPROTO_TCP, TCP_CONGESTION, Encoding.UTF8.GetBytes(name));

    /// <summary>The congestion control <paramref name="socket"/> uses (getsockopt), e.g. "cubic".</summary>
    public static string Read(Socket socket)
    {
        Span<byte> name = stackalloc byte[MaxNameLength + 1];
        int length = socket.GetRawSocketOption(IPPROTO_TCP, TCP_CONGESTION, name);
        int end = name[..length].IndexOf((byte)0);
        return Encoding.UTF8.GetString(name[..(end < 0 ? length : end)]);
    }

    /// <summary>Tries <paramref name="name"/> on a throwaway socket; throws <see cref="UsageException"/> saying why the kernel refused it.</summary>
    public static void Check(string name)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Apply(probe, name);
        }
        catch (SocketException e)
        {
            // .NET words the kernel's EPERM as AccessDenied, and its ENOENT as AddressNotAvailable.
            throw new UsageException(e.SocketErrorCode switch
            {
                SocketError.AccessDenied =>
                    $"--congestion {name}: only CAP_NET_ADMIN may pick a TCP congestion control not allowed to all (allowed: {List(Allowed)}; see {Allowed})",
                SocketError.AddressNotAvailable =>
                    $"--congestion {name}: this kernel has no such TCP congestion control (available: {List(Available)}; see {Available})",
                _ => $"--congestion {name}: {e.Message}",
            });
        }
    }

    /// <summary>A /proc list of names, as the kernel writes it (space-separated); "?" when it cannot be read.</summary>
    private static string List(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path)).Trim();   // not ReadAllText: its StreamReader added 78 KB to the binary
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
