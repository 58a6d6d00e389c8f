using System.Net.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// Receives datagrams a batch at a time: waits (up to the socket's receive timeout) for the first,
/// then takes whatever else is already queued.
/// </summary>
public abstract class BatchReceiver : IDisposable
{
    /// <summary>recvmmsg on Linux, a Socket call per datagram elsewhere.</summary>
    public static BatchReceiver Create(Socket socket) => OperatingSystem.IsLinux()
        ? new MMsgBatchReceiver(socket)
        : new SocketBatchReceiver(socket);

    /// <summary>How many datagrams arrived: 0 when the receive timeout passed, −1 when the socket is closed.</summary>
    public abstract int Receive();

    /// <summary>Datagram <paramref name="index"/> of the last <see cref="Receive"/>; valid until the next one.</summary>
    public abstract ReadOnlySpan<byte> Datagram(int index);

    public abstract void Dispose();
}
