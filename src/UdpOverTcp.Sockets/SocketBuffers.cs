using System.Net.Sockets;
using System.Runtime.InteropServices;
using UdpOverTcp.CommandLine;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// Socket buffer sizes as asked for (--udp-recv-buffer and the like). Linux caps SO_RCVBUF and
/// SO_SNDBUF at net.core.rmem_max / wmem_max: 212,992 bytes on a stock kernel, about 250 datagrams
/// of 64 B, a quarter of a millisecond at the rates the tunnel runs at. With CAP_NET_ADMIN (root,
/// as on most routers) SO_RCVBUFFORCE / SO_SNDBUFFORCE set the size past the cap, as wireguard-go
/// does; without it, the capped size is used. A buffer smaller than asked is logged with the sysctl
/// that capped it, since bursts beyond it are dropped.
/// </summary>
public static class SocketBuffers
{
    // Linux's asm-generic/socket.h.

    /// <summary>Asks for <paramref name="bytes"/> (0: leave the OS default); <paramref name="what"/> names the buffer in the log, e.g. "udp receive".</summary>
    public static void Set(Socket socket, SocketOptionName option, int bytes, string what)
    {
        if (bytes == 0)
        {
            return;
        }

        try
        {
            int granted = Request(socket, option, bytes);
            if (granted < bytes)
            {
                string cap = OperatingSystem.IsLinux()
                    ? $" (net.core.{(option == SocketOptionName.ReceiveBuffer ? "rmem_max" : "wmem_max")} caps it: raise it with sysctl, or run with CAP_NET_ADMIN)"
                    : "";
                Log.Warn($"{what} buffer: asked for {bytes} bytes, got {granted}{cap}");
            }
            else
            {
                Log.Debug($"{what} buffer: {granted} bytes");
            }
        }
        catch (SocketException e)
        {
            Log.Warn($"{what} buffer of {bytes} bytes refused: {e.Message}; using the OS default");
        }
    }

    /// <summary>Asks for <paramref name="bytes"/>, past the cap where allowed, and returns what the OS granted; says nothing.</summary>
    /// <exception cref="SocketException">The OS refused the size outright.</exception>
    public static int Request(Socket socket, SocketOptionName option, int bytes)
    {
        if (!(OperatingSystem.IsLinux() && TrySetPastTheCap(socket, option, bytes)))
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, option, bytes);
        }

        return Granted(socket, option);
    }

    /// <summary>The size in force. Linux reports double what it grants (its bookkeeping overhead).</summary>
    public static int Granted(Socket socket, SocketOptionName option)
    {
        int reported = (int)socket.GetSocketOption(SocketOptionLevel.Socket, option)!;
        return OperatingSystem.IsLinux() ? reported / 2 : reported;
    }

    /// <summary>False without CAP_NET_ADMIN (EPERM): the caller then asks within the cap.</summary>
    private static bool TrySetPastTheCap(Socket socket, SocketOptionName option, int bytes)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(value, in bytes);   // an int in the machine's byte order
        try
        {
            socket.SetRawSocketOption(SOL_SOCKET, option == SocketOptionName.ReceiveBuffer ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
