using System.Net.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

public static partial class SocketOptions
{
    /// <summary>SO_MARK: the firewall mark, for policy routing (CAP_NET_ADMIN, or CAP_NET_RAW on 5.17+). Linux only.</summary>
    public static void SetFwMark(Socket socket, uint mark) =>
        socket.SetRawSocketOption(SOL_SOCKET, SO_MARK, BitConverter.GetBytes(mark));

    /// <summary>TCP_DEFER_ACCEPT: the listener hands over a connection only once data arrives on it, or after about <paramref name="seconds"/>. Linux only.</summary>
    public static void SetDeferAccept(Socket listener, int seconds) =>
        listener.SetRawSocketOption(IPPROTO_TCP, TCP_DEFER_ACCEPT, BitConverter.GetBytes(seconds));
}
