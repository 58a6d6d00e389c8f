using System.Net.Sockets;
using System.Security.Cryptography;
using UdpOverTcp.Cli;
using UdpOverTcp.Transport;

namespace UdpOverTcp.Auth;

/// <summary>
/// Mutual challenge-response on a new TCP link, before any datagram flows, when both ends share a
/// secret. Each side sends a hello (magic, its role, a fresh 32-byte random nonce), then a proof:
/// HMAC-SHA256(secret, label ‖ prover's role ‖ client nonce ‖ server nonce). Each checks the other's
/// proof in constant time. Fresh nonces on both sides defeat replay; the prover's role in the MAC
/// defeats reflecting a side's own proof back at it. This authenticates the peer; it does not
/// encrypt or protect the stream afterwards (use SSH or WireGuard for that).
/// </summary>
public sealed class LinkAuthenticator
{
    public const int NonceSize = 32;
    public const int HelloSize = 4 + 1 + NonceSize;
    public const int ProofSize = 32;

    /// <summary>A handshake that takes longer than this fails: a silent client cannot hold a slot.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private static ReadOnlySpan<byte> Magic => "UoT\u0001"u8;

    private static ReadOnlySpan<byte> Label => "udp-over-tcp link auth v1"u8;

    private readonly byte[] _secret;

    public LinkAuthenticator(byte[] secret, TimeSpan? timeout = null)
    {
        if (secret.Length == 0)
        {
            throw new ArgumentException("the secret is empty", nameof(secret));
        }

        _secret = secret;
        Timeout = timeout ?? DefaultTimeout;
    }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// Fails at start-up rather than at the first link when this host cannot do the cryptography
    /// (.NET uses the system's OpenSSL for HMAC and random numbers on Linux).
    /// </summary>
    public static void SelfTest()
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        RandomNumberGenerator.Fill(nonce);
        _ = HMACSHA256.HashData(nonce, nonce);
    }

    /// <summary>
    /// True when the peer proved it knows the secret; false on any failure (wrong secret, garbage, EOF,
    /// timeout, which closes the socket). Runs with blocking calls on a thread of its own (see
    /// <see cref="OffEngine"/>), so the link can use its threaded loops afterwards.
    /// </summary>
    public async Task<bool> AuthenticateAsync(Socket socket, TcpRole role, CancellationToken cancellationToken)
    {
        try
        {
            return await OffEngine.RunAsync(socket, Timeout, cancellationToken, s => Handshake(s, role)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;   // timed out
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private bool Handshake(Socket socket, TcpRole role)
    {
        var ours = new byte[HelloSize];
        Magic.CopyTo(ours);
        ours[4] = RoleByte(role);
        RandomNumberGenerator.Fill(ours.AsSpan(5));
        SendAll(socket, ours);

        var theirs = new byte[HelloSize];
        if (!ReceiveExactly(socket, theirs)
            || !theirs.AsSpan(0, 4).SequenceEqual(Magic)
            || theirs[4] != RoleByte(Opposite(role)))
        {
            return false;
        }

        var clientNonce = (role == TcpRole.Connect ? ours : theirs).AsSpan(5);
        var serverNonce = (role == TcpRole.Connect ? theirs : ours).AsSpan(5);
        SendAll(socket, Proof(role, clientNonce, serverNonce));

        var proof = new byte[ProofSize];
        return ReceiveExactly(socket, proof)
            && CryptographicOperations.FixedTimeEquals(proof, Proof(Opposite(role), clientNonce, serverNonce));
    }

    /// <summary>HMAC-SHA256(secret, label ‖ role ‖ client nonce ‖ server nonce).</summary>
    public byte[] Proof(TcpRole prover, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce)
    {
        Span<byte> message = stackalloc byte[Label.Length + 1 + (2 * NonceSize)];
        Label.CopyTo(message);
        message[Label.Length] = RoleByte(prover);
        clientNonce.CopyTo(message[(Label.Length + 1)..]);
        serverNonce.CopyTo(message[(Label.Length + 1 + NonceSize)..]);
        return HMACSHA256.HashData(_secret, message);
    }

    private static byte RoleByte(TcpRole role) => role == TcpRole.Connect ? (byte)'C' : (byte)'L';

    private static TcpRole Opposite(TcpRole role) => role == TcpRole.Connect ? TcpRole.Listen : TcpRole.Connect;

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    private static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
            {
                return false;
            }

            buffer = buffer[n..];
        }

        return true;
    }
}
