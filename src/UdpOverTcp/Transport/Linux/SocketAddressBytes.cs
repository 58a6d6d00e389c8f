using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Transport.Linux;

/// <summary>The kernel's sockaddr_in / sockaddr_in6 for an endpoint, as sendmmsg takes it.</summary>
internal static class SocketAddressBytes
{
    public const int MaxLength = 28;   // sizeof(struct sockaddr_in6)

    private const ushort AF_INET = 2;
    private const ushort AF_INET6 = 10;

    /// <summary>Writes the sockaddr into <paramref name="destination"/> and returns its length.</summary>
    public static int Write(IPEndPoint endpoint, Span<byte> destination)
    {
        destination[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endpoint.Port);
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, AF_INET);   // sa_family is in host order
            endpoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, AF_INET6);
        endpoint.Address.TryWriteBytes(destination[8..24], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)endpoint.Address.ScopeId);
        return MaxLength;
    }
}
