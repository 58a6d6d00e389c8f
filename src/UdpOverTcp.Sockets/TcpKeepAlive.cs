using System.Net.Sockets;
using UdpOverTcp.CommandLine;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// Detects a peer that vanished without a FIN (power loss, a NAT that forgot the flow): TCP
/// keepalive probes on an idle link, and on Linux TCP_USER_TIMEOUT for data left unacknowledged,
/// both sized so that a dead link is declared within about <c>--tcp-timeout</c> seconds. The
/// connect side then reconnects; the listen side's link ends and waits for the next connection.
/// </summary>
public static class TcpKeepAlive
{

    /// <param name="idleSeconds">Idle time before the first probe (--tcp-keepalive); null: a third of the timeout.</param>
    public static void Apply(Socket socket, int timeoutSeconds, int? idleSeconds = null)
    {
        if (timeoutSeconds <= 0)
        {
            return;
        }

        // Idle for a third of the timeout (unless told), then 3 probes spread over the rest.
        int idle = Math.Max(1, idleSeconds ?? timeoutSeconds / 3);
        int interval = Math.Max(1, (timeoutSeconds - Math.Min(idle, timeoutSeconds)) / 3);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, idle);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, interval);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TCP_USER_TIMEOUT, BitConverter.GetBytes(timeoutSeconds * 1000));
            }
        }
        catch (SocketException e)
        {
            Log.Debug($"tcp keepalive not set: {e.Message}");
        }
        catch (PlatformNotSupportedException)
        {
        }
    }
}
