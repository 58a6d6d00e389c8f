using System.Net;
using System.Net.Sockets;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath;

/// <summary>
/// The one start-up choice of data path, which picks the UDP pump and the links' loops together:
/// batched (recvmmsg/sendmmsg, Linux) with <see cref="ThreadedLinkLoops"/>, or portable (a Socket call
/// per datagram) with <see cref="EngineLinkLoops"/>. They go together because the threaded loops run
/// the UDP sends inline on the link's receive thread and take the UDP thread's flush inline too.
/// </summary>
public sealed class DataPathFactory
{
    private DataPathFactory(bool batched) => Batched = batched;

    /// <summary>recvmmsg/sendmmsg and threaded links (Linux); otherwise the portable pump and engine links.</summary>
    public bool Batched { get; }

    /// <summary><see cref="UdpDataPath.Auto"/> is batched on Linux, portable elsewhere.</summary>
    public static DataPathFactory For(UdpDataPath requested)
    {
        bool batched = requested == UdpDataPath.Batched || (requested == UdpDataPath.Auto && OperatingSystem.IsLinux());
        if (batched && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the batched UDP data path needs Linux (recvmmsg/sendmmsg)");
        }

        return new DataPathFactory(batched);
    }

    public UdpPump CreatePump(Socket udp, IPEndPoint sendTo, bool peerOnly, FrameCodec codec, TunnelStats stats) =>
        Batched && OperatingSystem.IsLinux()
            ? new BatchedUdpPump(udp, sendTo, peerOnly, codec, stats)
            : new PortableUdpPump(udp, sendTo, peerOnly, codec, stats);

    /// <summary>A link over <paramref name="socket"/>; batched, its socket must be off the engine (<see cref="SocketsEngine"/>).</summary>
    public TcpLink CreateLink(Socket socket, FrameCodec codec, bool noDelay, QueuePolicy queues, TunnelStats stats) =>
        new(socket, codec, noDelay, queues, stats, Loops);

    private LinkLoops Loops(TcpLink link) =>
        Batched && OperatingSystem.IsLinux() ? new ThreadedLinkLoops(link) : new EngineLinkLoops(link);
}
