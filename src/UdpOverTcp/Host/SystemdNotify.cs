using System.Net.Sockets;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Host;

/// <summary>
/// The readiness protocol of sd_notify(3), without libsystemd: when the service manager (systemd with
/// <c>Type=notify</c>, or a test) sets <c>NOTIFY_SOCKET</c>, each state change is one datagram of
/// newline-separated assignments (<c>READY=1</c>, <c>STATUS=...</c>, <c>STOPPING=1</c>) sent to that unix
/// datagram socket: a path, or an abstract name when it starts with <c>@</c>. Without the variable it
/// does nothing. Telling is best effort: a failure never affects the tunnel; it gets one debug line
/// and nothing is sent after it.
/// </summary>
public sealed class SystemdNotify
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint? _target;
    private readonly Lock _gate = new();
    private bool _stopping;

    /// <param name="address">The value of NOTIFY_SOCKET; null or empty: notify nobody.</param>
    public SystemdNotify(string? address)
    {
        _target = Parse(address);
    }

    /// <summary>From this process's NOTIFY_SOCKET.</summary>
    public static SystemdNotify FromEnvironment() => new(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Whether there is a socket to tell (NOTIFY_SOCKET was usable, and no send has failed).</summary>
    public bool IsEnabled => _target is not null && !Failed;

    private bool Failed { get; set; }

    /// <summary>
    /// Startup is complete: <c>READY=1</c> with a one-line <c>STATUS=</c> for <c>systemctl status</c>.
    /// Not after <see cref="Stopping"/> (a stop signal during start-up, on another thread).
    /// </summary>
    public void Ready(string status)
    {
        lock (_gate)
        {
            if (!_stopping)
            {
                Send($"READY=1\nSTATUS={OneLine(status)}");
            }
        }
    }

    /// <summary>Shutdown has begun: <c>STOPPING=1</c>.</summary>
    public void Stopping()
    {
        lock (_gate)
        {
            _stopping = true;
            Send("STOPPING=1\nSTATUS=stopping");
        }
    }

    /// <summary>Sends one notification (e.g. "READY=1\nSTATUS=..."); false if it was not sent.</summary>
    public bool Send(string state)
    {
        if (!IsEnabled)
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _target!);
            return true;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException or NotSupportedException or ObjectDisposedException)
        {
            Failed = true;
            Log.Debug($"{Variable}: cannot notify {Describe(_target!)}: {e.Message}; not notifying again");
            return false;
        }
    }

    private static UnixDomainSocketEndPoint? Parse(string? address)
    {
        // sd_notify accepts an absolute path or an abstract name (and, lately, vsock:, which we do not speak).
        if (string.IsNullOrEmpty(address))
        {
            return null;
        }

        try
        {
            if (address[0] == '@' && address.Length > 1)
            {
                return new UnixDomainSocketEndPoint("\0" + address[1..]);
            }

            if (address[0] == '/')
            {
                return new UnixDomainSocketEndPoint(address);
            }
        }
        catch (Exception e) when (e is ArgumentException or PlatformNotSupportedException)
        {
            Log.Debug($"{Variable}={address}: {e.Message}; not notifying");
            return null;
        }

        Log.Debug($"{Variable}={address}: neither a path nor an @abstract name; not notifying");
        return null;
    }

    private static string Describe(UnixDomainSocketEndPoint target)
    {
        string path = target.ToString();
        return path.StartsWith('\0') ? "@" + path[1..] : path;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
