using System.Net.Sockets;
using UdpOverTcp.Transport.Linux;

namespace UdpOverTcp.Transport;

internal static partial class SocketSetup
{
    private const int SO_MARK = 36;   // asm-generic/socket.h

    /// <summary>--fwmark: SO_MARK, for policy routing (CAP_NET_ADMIN, or CAP_NET_RAW on 5.17+). The options allow it on Linux only.</summary>
    private static void SetFwMark(Socket socket, uint mark) =>
        socket.SetRawSocketOption(LinuxSocketCalls.SOL_SOCKET, SO_MARK, BitConverter.GetBytes(mark));
}
