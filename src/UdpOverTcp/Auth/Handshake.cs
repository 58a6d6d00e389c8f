using System.Security.Cryptography;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Auth;

/// <summary>How a handshake ended.</summary>
public enum HandshakeOutcome
{
    /// <summary>The peer proved it knows the secret.</summary>
    Authenticated,

    /// <summary>The peer closed or reset the connection before the handshake finished.</summary>
    Closed,

    /// <summary>The peer did not finish its part within the handshake timeout.</summary>
    TimedOut,

    /// <summary>The peer's first bytes are not a hello of the other role: garbage, or a peer without a secret.</summary>
    NotAHello,

    /// <summary>The peer's proof did not match: it does not know this secret.</summary>
    ProofMismatch,
}

/// <summary>
/// One side's handshake as a state machine that does no I/O, so a thread of its own (the connect side,
/// <see cref="LinkAuthenticator.AuthenticateAsync"/>) and one thread polling many connections (the
/// listen side) drive the same code. The caller sends what <see cref="TakeOutgoing"/> gives, reads into
/// <see cref="Incoming"/> and reports with <see cref="Received"/>, until <see cref="Outcome"/> is set.
/// The connect side sends its hello at once; the listen side waits for it and then answers with its
/// hello and its proof together. Both orders put the same bytes on the wire as before: only the listen
/// side's timing changed, so a stranger who says nothing learns nothing and costs nothing but a socket.
/// </summary>
public sealed class Handshake
{
    private readonly LinkAuthenticator _auth;
    private readonly TcpRole _role;

    /// <summary>Our hello, then our proof: what we send, in that order.</summary>
    private readonly byte[] _ours = new byte[LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize];

    /// <summary>Their hello, then their proof.</summary>
    private readonly byte[] _theirs = new byte[LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize];
    private int _received;
    private int _sendFrom;
    private int _sendTo;

    public Handshake(LinkAuthenticator auth, TcpRole role)
    {
        _auth = auth;
        _role = role;
        LinkAuthenticator.WriteHello(_ours, role);
        if (role == TcpRole.Connect)
        {
            _sendTo = LinkAuthenticator.HelloSize;
        }
    }

    /// <summary>Null while under way.</summary>
    public HandshakeOutcome? Outcome { get; private set; }

    /// <summary>The peer's hello has arrived whole and well-formed: the handshake is past the point a stranger reaches by connecting.</summary>
    public bool HelloReceived => _received >= LinkAuthenticator.HelloSize;

    /// <summary>
    /// Where the next bytes from the peer go: exactly what the handshake still lacks, never more,
    /// since what follows the handshake on the stream belongs to the link. Empty once it has ended.
    /// </summary>
    public Span<byte> Incoming => Outcome is null ? _theirs.AsSpan(_received) : [];

    /// <summary>The bytes to send now (often none); each byte is handed out once.</summary>
    public ReadOnlySpan<byte> TakeOutgoing()
    {
        var bytes = _ours.AsSpan(_sendFrom, _sendTo - _sendFrom);
        _sendFrom = _sendTo;
        return bytes;
    }

    /// <summary>The peer sent <paramref name="count"/> more bytes, written at the start of <see cref="Incoming"/>.</summary>
    public void Received(int count)
    {
        if (Outcome is not null || count <= 0 || count > _theirs.Length - _received)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        int before = _received;
        _received += count;
        if (before < LinkAuthenticator.HelloHeaderSize
            && !LinkAuthenticator.StartsHello(_theirs.AsSpan(0, Math.Min(_received, LinkAuthenticator.HelloHeaderSize)), Opposite(_role)))
        {
            // The magic and the role are known in advance: a stranger's garbage fails at its first wrong byte.
            Outcome = HandshakeOutcome.NotAHello;
            return;
        }

        if (before < LinkAuthenticator.HelloSize && _received >= LinkAuthenticator.HelloSize)
        {
            _auth.WriteProof(_ours.AsSpan(LinkAuthenticator.HelloSize), _role, ClientNonce, ServerNonce);
            _sendTo = _ours.Length;   // the connect side: its proof; the listen side: its hello and its proof
        }

        if (_received == _theirs.Length)
        {
            Span<byte> expected = stackalloc byte[LinkAuthenticator.ProofSize];
            _auth.WriteProof(expected, Opposite(_role), ClientNonce, ServerNonce);
            Outcome = CryptographicOperations.FixedTimeEquals(expected, _theirs.AsSpan(LinkAuthenticator.HelloSize))
                ? HandshakeOutcome.Authenticated
                : HandshakeOutcome.ProofMismatch;
        }
    }

    private ReadOnlySpan<byte> ClientNonce => Nonce(_role == TcpRole.Connect ? _ours : _theirs);

    private ReadOnlySpan<byte> ServerNonce => Nonce(_role == TcpRole.Connect ? _theirs : _ours);

    private static ReadOnlySpan<byte> Nonce(byte[] helloFirst) => helloFirst.AsSpan(LinkAuthenticator.HelloHeaderSize, LinkAuthenticator.NonceSize);

    /// <summary>Ends the handshake from outside: the peer closed, or the time ran out.</summary>
    public void Fail(HandshakeOutcome outcome) => Outcome ??= outcome;

    public static TcpRole Opposite(TcpRole role) => role == TcpRole.Connect ? TcpRole.Listen : TcpRole.Connect;
}
