using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Sockets;

/// <summary>The kernel's sockaddr_in / sockaddr_in6: written for an endpoint, as sendmmsg takes it, and read back from getaddrinfo's results.</summary>
public static class SocketAddressBytes
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

    /// <summary>The address of a sockaddr of <paramref name="family"/>; null for another family, or one too short to hold it.</summary>
    public static unsafe IPAddress? ReadAddress(int family, byte* sockaddr, uint length) => family switch
    {
        AF_INET when length >= 8 => new IPAddress(new ReadOnlySpan<byte>(sockaddr + 4, 4)),
        AF_INET6 when length >= MaxLength => new IPAddress(
            new ReadOnlySpan<byte>(sockaddr + 8, 16), BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(sockaddr + 24, 4))),
        _ => null,
    };

    /// <summary>Same family, port and address (IPv6 flow label and scope ignored).</summary>
    public static unsafe bool SameEndpoint(byte* a, byte* b)
    {
        var x = new ReadOnlySpan<byte>(a, MaxLength);
        var y = new ReadOnlySpan<byte>(b, MaxLength);
        if (!x[..4].SequenceEqual(y[..4]))
        {
            return false;   // family or port differ
        }

        return BitConverter.ToUInt16(x) == AF_INET
            ? x[4..8].SequenceEqual(y[4..8])
            : x[8..24].SequenceEqual(y[8..24]);
    }
}
