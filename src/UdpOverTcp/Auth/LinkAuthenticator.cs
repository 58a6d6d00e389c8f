using System.Net.Sockets;
using UdpOverTcp.Links.Setup;
using System.Security.Cryptography;
using UdpOverTcp.Cli;
using UdpOverTcp.Links.Listen;

namespace UdpOverTcp.Auth;

/// <summary>
/// Mutual challenge-response on a new TCP link, before any datagram flows, when both ends share a
/// secret. Each side sends a hello (magic, its role, a fresh 32-byte random nonce), then a proof:
/// HMAC-SHA256(secret, label ‖ prover's role ‖ client nonce ‖ server nonce). The connect side speaks
/// first; the listen side answers with its hello and proof once the connect side's hello is in (see
/// <see cref="Handshake"/>). Each checks the other's proof in constant time. Fresh nonces on both sides defeat replay; the prover's role in the MAC
/// defeats reflecting a side's own proof back at it. This authenticates the peer; it does not
/// encrypt or protect the stream afterwards (use SSH or WireGuard for that).
/// </summary>
public sealed class LinkAuthenticator
{
    public const int NonceSize = 32;

    /// <summary>A hello's magic and role, before its nonce.</summary>
    public const int HelloHeaderSize = 4 + 1;
    public const int HelloSize = HelloHeaderSize + NonceSize;
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
    /// Runs one side's handshake with blocking calls on a thread of its own (see <see cref="BlockingSetup"/>),
    /// so the link can use its threaded loops afterwards; the connect side's way. Any failure closes
    /// nothing: the caller decides. The listen side drives <see cref="Handshake"/> from its acceptor instead.
    /// </summary>
    public Task<HandshakeOutcome> AuthenticateAsync(Socket socket, TcpRole role, CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, new SocketChannel(socket), role, cancellationToken);

    /// <summary>As above, through <paramref name="channel"/> (TLS over <paramref name="socket"/> with --tcp-connect https://).</summary>
    public async Task<HandshakeOutcome> AuthenticateAsync(Socket socket, ISetupChannel channel, TcpRole role, CancellationToken cancellationToken)
    {
        var handshake = new Handshake(this, role);
        try
        {
            await BlockingSetup.RunAsync(socket, Timeout, cancellationToken, _ => Run(channel, handshake)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            handshake.Fail(HandshakeOutcome.TimedOut);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            handshake.Fail(HandshakeOutcome.Closed);   // reset
        }

        return handshake.Outcome ?? HandshakeOutcome.Closed;
    }

    /// <summary>What went wrong, for the connect side's "connect to ... failed: ..." line. Only a proof that did not match is about the secret.</summary>
    public string DescribeForConnectSide(HandshakeOutcome outcome) => outcome switch
    {
        HandshakeOutcome.Closed => "the listen side closed the connection before the handshake finished (its log says why)",
        HandshakeOutcome.TimedOut => $"no handshake answer from the listen side within {Timeout.TotalSeconds:0.###} s (does it have --secret-file?)",
        HandshakeOutcome.NotAHello => "the listen side's answer is not a udp-over-tcp hello (does it have --secret-file?)",
        HandshakeOutcome.ProofMismatch => "the listen side's proof did not match: the two ends have different secrets",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    /// <summary>Drives <paramref name="handshake"/> to its outcome with blocking calls (the return value only suits <see cref="BlockingSetup.RunAsync"/>).</summary>
    private static bool Run(ISetupChannel channel, Handshake handshake)
    {
        while (true)
        {
            var outgoing = handshake.TakeOutgoing();
            if (!outgoing.IsEmpty)
            {
                channel.Send(outgoing);
            }

            if (handshake.Outcome is not null)
            {
                return true;
            }

            int received = channel.Receive(handshake.Incoming);
            if (received == 0)
            {
                handshake.Fail(HandshakeOutcome.Closed);
                return true;
            }

            handshake.Received(received);
        }
    }

    /// <summary>Writes a hello: the magic, <paramref name="role"/> and a fresh random nonce.</summary>
    public static void WriteHello(Span<byte> destination, TcpRole role)
    {
        Magic.CopyTo(destination);
        destination[Magic.Length] = RoleByte(role);
        RandomNumberGenerator.Fill(destination.Slice(HelloHeaderSize, NonceSize));
    }

    /// <summary>Whether <paramref name="prefix"/> (up to <see cref="HelloHeaderSize"/> bytes) can begin a hello from <paramref name="role"/>.</summary>
    public static bool StartsHello(ReadOnlySpan<byte> prefix, TcpRole role)
    {
        int magic = Math.Min(prefix.Length, Magic.Length);
        return prefix.Length <= HelloHeaderSize
            && Magic.StartsWith(prefix[..magic])
            && (prefix.Length == magic || prefix[magic] == RoleByte(role));
    }

    /// <summary>HMAC-SHA256(secret, label ‖ role ‖ client nonce ‖ server nonce).</summary>
    public byte[] Proof(TcpRole prover, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce)
    {
        var proof = new byte[ProofSize];
        WriteProof(proof, prover, clientNonce, serverNonce);
        return proof;
    }

    public void WriteProof(Span<byte> destination, TcpRole prover, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce)
    {
        Span<byte> message = stackalloc byte[Label.Length + 1 + (2 * NonceSize)];
        Label.CopyTo(message);
        message[Label.Length] = RoleByte(prover);
        clientNonce.CopyTo(message[(Label.Length + 1)..]);
        serverNonce.CopyTo(message[(Label.Length + 1 + NonceSize)..]);
        HMACSHA256.HashData(_secret, message, destination);
    }

    private static byte RoleByte(TcpRole role) => role == TcpRole.Connect ? (byte)'C' : (byte)'L';
}
