using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// Sends batches of equally sized datagrams to one destination: the generator fills the slots,
/// then sends the first <c>count</c> of them in as few system calls as the platform allows.
/// </summary>
public abstract class BatchSender : IDisposable
{
    /// <summary>Datagrams per batch, as the tunnel's own batched pump.</summary>
    public const int MaxBatch = 64;

    protected BatchSender(int size) => Size = size;

    public int Size { get; }

    /// <summary>
    /// On Linux UDP GSO (else sendmmsg of single datagrams); elsewhere a Socket call per datagram.
    /// Without <paramref name="gso"/> never GSO: its segment size is the socket's, so senders of
    /// different sizes on one socket (<see cref="FlowGenerator"/>) would cut each other's datagrams.
    /// </summary>
    public static BatchSender Create(Socket socket, IPEndPoint destination, int size, bool gso = true)
    {
        // A dual-mode [::] socket reaches IPv4 destinations through their IPv4-mapped form.
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && destination.AddressFamily == AddressFamily.InterNetwork)
        {
            destination = new IPEndPoint(destination.Address.MapToIPv6(), destination.Port);
        }

        if (OperatingSystem.IsLinux())
        {
            return (gso ? GsoBatchSender.TryCreate(socket, destination, size) : null) ?? (BatchSender)new MMsgBatchSender(socket, destination, size);
        }

        return new SocketBatchSender(socket, destination, size);
    }

    /// <summary>The buffer of datagram <paramref name="index"/> of the next batch, <see cref="Size"/> bytes.</summary>
    public abstract Span<byte> Slot(int index);

    /// <summary>Sends slots 0 to <paramref name="count"/> − 1; returns how many the OS refused (they are lost like any other).</summary>
    public abstract int Send(int count);

    public abstract void Dispose();
}
