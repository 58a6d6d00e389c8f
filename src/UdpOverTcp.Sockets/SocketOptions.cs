using System.Net.Sockets;

namespace UdpOverTcp.Sockets;

/// <summary>
/// The socket options that are a plain set, one method each; what only one OS has is in its own file
/// (SocketOptions.Linux.cs, SocketOptions.Windows.cs), as wireguard-go's conn/. The options with more
/// to them have a class of their own beside this one: <see cref="SocketBuffers"/>, <see cref="TcpKeepAlive"/>,
/// <see cref="TcpNotSentLowWater"/>, <see cref="TcpCongestion"/>, <see cref="Gso"/>. Which socket gets
/// which, as the options say, is the tunnel's (its SocketSetup).
/// </summary>
public static partial class SocketOptions
{
    /// <summary>SO_REUSEADDR: a listener binds its port even while connections of an earlier process on it are in TIME_WAIT.</summary>
    public static void SetReuseAddress(Socket listener) =>
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
}
