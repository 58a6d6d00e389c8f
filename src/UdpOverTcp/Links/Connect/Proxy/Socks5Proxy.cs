using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Links.Connect.Proxy;

/// <summary>
/// The client side of SOCKS5 CONNECT (RFC 1928) on a socket already connected to the proxy, with
/// user/password authentication (RFC 1929) when the proxy URL has credentials. A host name is sent
/// as a name (address type 3) for the proxy to resolve: the connect side needs no DNS of its own.
/// Every reply is read to its exact length, so nothing of the tunnelled stream is consumed.
/// </summary>
public static class Socks5Proxy
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0;
    private const byte UserPassword = 2;
    private const byte NoAcceptableMethod = 0xFF;
    private const byte CommandConnect = 1;
    private const byte AddressIPv4 = 1;
    private const byte AddressName = 3;
    private const byte AddressIPv6 = 4;

    /// <summary>Runs the handshake with blocking calls; returns when the tunnel to <paramref name="target"/> is open.</summary>
    public static void Connect(Socket socket, EndPoint target, string? userName, string? password)
    {
        // Greeting: the methods this client can do. With credentials, both (the proxy picks).
        ProxyIo.SendAll(socket, userName is null ? [Version, 1, NoAuthentication] : [Version, 2, NoAuthentication, UserPassword]);
        Span<byte> choice = stackalloc byte[2];
        ProxyIo.ReceiveExactly(socket, choice, 0);
        CheckVersion(choice[0], choice);
        switch (choice[1])
        {
            case NoAuthentication:
                break;
            case UserPassword when userName is not null:
                Authenticate(socket, userName, password ?? "");
                break;
            case NoAcceptableMethod:
                throw new ProxyException(userName is null
                    ? "the proxy wants authentication (give socks5://USER:PASSWORD@HOST:PORT)"
                    : "the proxy accepts neither no authentication nor user/password");
            default:
                throw new ProxyException($"the proxy chose authentication method {choice[1]}, which was not offered");
        }

        ProxyIo.SendAll(socket, Request(target));
        Span<byte> reply = stackalloc byte[4 + 1 + 255 + 2];
        ProxyIo.ReceiveExactly(socket, reply[..4], 0);
        CheckVersion(reply[0], reply[..4]);
        if (reply[1] != 0)
        {
            throw new ProxyException($"the proxy could not connect: {Describe(reply[1])}");
        }

        // The rest: the address the proxy bound (of the type given), then its port. Read and dropped.
        int at = 4;
        int rest = reply[3] switch
        {
            AddressIPv4 => 4 + 2,
            AddressIPv6 => 16 + 2,
            AddressName => -1,
            _ => throw new ProxyException($"the proxy's reply has an unknown address type {reply[3]}"),
        };
        if (rest < 0)
        {
            ProxyIo.ReceiveExactly(socket, reply.Slice(at, 1), at);
            rest = reply[at] + 2;
            at++;
        }

        ProxyIo.ReceiveExactly(socket, reply.Slice(at, rest), at);
    }

    /// <summary>The CONNECT request: version, command, reserved, the address (name, IPv4 or IPv6), the port.</summary>
    public static byte[] Request(EndPoint target)
    {
        Span<byte> request = stackalloc byte[4 + 1 + 255 + 2];
        request[0] = Version;
        request[1] = CommandConnect;
        request[2] = 0;
        int length;
        int port;
        switch (target)
        {
            case HostNameEndPoint name:
                int hostLength = Encoding.ASCII.GetByteCount(name.Host);
                if (hostLength > 255)
                {
                    throw new ProxyException("the host name is longer than SOCKS5's 255 bytes");
                }

                request[3] = AddressName;
                request[4] = (byte)hostLength;
                length = 5 + Encoding.ASCII.GetBytes(name.Host, request[5..]);
                port = name.Port;
                break;
            case IPEndPoint ip:
                request[3] = ip.AddressFamily == AddressFamily.InterNetworkV6 ? AddressIPv6 : AddressIPv4;
                ip.Address.TryWriteBytes(request[4..], out int written);
                length = 4 + written;
                port = ip.Port;
                break;
            default:
                throw new ArgumentException("not an IP or DNS endpoint", nameof(target));
        }

        BinaryPrimitives.WriteUInt16BigEndian(request[length..], (ushort)port);
        return request[..(length + 2)].ToArray();
    }

    /// <summary>RFC 1929: version 1, the user name and the password, each with its length; status 0 is success.</summary>
    private static void Authenticate(Socket socket, string userName, string password)
    {
        Span<byte> request = stackalloc byte[1 + 1 + 255 + 1 + 255];
        request[0] = 1;
        int userLength = Encoding.UTF8.GetBytes(userName, request[2..]);
        request[1] = (byte)userLength;
        int passwordLength = Encoding.UTF8.GetBytes(password, request[(3 + userLength)..]);
        request[2 + userLength] = (byte)passwordLength;
        ProxyIo.SendAll(socket, request[..(3 + userLength + passwordLength)]);
        request.Clear();   // the password does not linger on the stack
        Span<byte> status = stackalloc byte[2];
        ProxyIo.ReceiveExactly(socket, status, 2);
        if (status[1] != 0)
        {
            throw new ProxyException("the proxy refused the user name and password");
        }
    }

    private static void CheckVersion(byte version, ReadOnlySpan<byte> answer)
    {
        if (version != Version)
        {
            throw new ProxyException(answer.StartsWith("HT"u8)
                ? "the proxy answers in HTTP, not SOCKS5 (an HTTP proxy? then give http://)"
                : $"the proxy's answer is not SOCKS5 (version byte {version})");
        }
    }

    /// <summary>RFC 1928's reply codes.</summary>
    private static string Describe(byte reply) => reply switch
    {
        1 => "general SOCKS server failure (1)",
        2 => "connection not allowed by its rules (2)",
        3 => "network unreachable (3)",
        4 => "host unreachable (4)",
        5 => "connection refused (5)",
        6 => "TTL expired (6)",
        7 => "command not supported (7)",
        8 => "address type not supported (8)",
        _ => $"reply code {reply}",
    };
}
