using System.Net.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sessions;

public static partial class SocketSetup
{

    /// <summary>--fwmark: SO_MARK, for policy routing (CAP_NET_ADMIN, or CAP_NET_RAW on 5.17+). The options allow it on Linux only.</summary>
    private static void SetFwMark(Socket socket, uint mark) =>
        socket.SetRawSocketOption(SOL_SOCKET, SO_MARK, BitConverter.GetBytes(mark));
}
