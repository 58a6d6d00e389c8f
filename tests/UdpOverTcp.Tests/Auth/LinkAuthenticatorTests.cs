using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Auth;

[InProcessTest]
public class LinkAuthenticatorTests
{
    private static readonly byte[] Secret = "correct horse battery staple"u8.ToArray();

    [Fact]
    public async Task Same_secret_authenticates_both_sides()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret);
        var results = await Task.WhenAll(
            auth.AuthenticateAsync(client, TcpRole.Connect, CancellationToken.None),
            auth.AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None)).Within("the handshake");
        Assert.Equal([HandshakeOutcome.Authenticated, HandshakeOutcome.Authenticated], results);
    }

    [Fact]
    public async Task Different_secrets_fail_on_both_sides()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var results = await Task.WhenAll(
            new LinkAuthenticator("one"u8.ToArray()).AuthenticateAsync(client, TcpRole.Connect, CancellationToken.None),
            new LinkAuthenticator("two"u8.ToArray()).AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None)).Within("the handshake");
        Assert.Equal([HandshakeOutcome.ProofMismatch, HandshakeOutcome.ProofMismatch], results);
    }

    [Fact]
    public async Task Two_connectors_reject_each_others_hello()
    {
        var (a, b) = await ConnectedPairAsync();
        using var _ = a;
        using var __ = b;
        var auth = new LinkAuthenticator(Secret);
        var results = await Task.WhenAll(
            auth.AuthenticateAsync(a, TcpRole.Connect, CancellationToken.None),
            auth.AuthenticateAsync(b, TcpRole.Connect, CancellationToken.None)).Within("the handshake");
        Assert.Equal([HandshakeOutcome.NotAHello, HandshakeOutcome.NotAHello], results);
    }

    [Fact]
    public async Task Two_listeners_wait_for_each_other_until_one_gives_up()
    {
        // The listen side speaks only after the connect side's hello: two of them say nothing at all.
        var (a, b) = await ConnectedPairAsync();
        using var _ = a;
        using var __ = b;
        var results = await Task.WhenAll(
            new LinkAuthenticator(Secret, TimeSpan.FromMilliseconds(200)).AuthenticateAsync(a, TcpRole.Listen, CancellationToken.None),
            new LinkAuthenticator(Secret).AuthenticateAsync(b, TcpRole.Listen, CancellationToken.None)).Within("the handshake");
        Assert.Equal([HandshakeOutcome.TimedOut, HandshakeOutcome.Closed], results);
    }

    [Theory]
    [InlineData(TcpRole.Listen)]
    [InlineData(TcpRole.Connect)]
    public async Task A_silent_peer_fails_at_the_timeout_instead_of_hanging(TcpRole role)
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret, TimeSpan.FromMilliseconds(200));
        var socket = role == TcpRole.Listen ? server : client;
        Assert.Equal(HandshakeOutcome.TimedOut, await auth.AuthenticateAsync(socket, role, CancellationToken.None).Within("the handshake to give up"));
    }

    [Fact]
    public async Task A_peer_that_closes_mid_handshake_is_told_apart_from_one_that_never_answers()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        var auth = new LinkAuthenticator(Secret);
        var clientSide = auth.AuthenticateAsync(client, TcpRole.Connect, CancellationToken.None);
        await ReceiveExactly(server, new byte[LinkAuthenticator.HelloSize]);   // the client's hello, then the server goes away
        server.Dispose();
        Assert.Equal(HandshakeOutcome.Closed, await clientSide.Within("the client's verdict"));
    }

    [Fact]
    public async Task The_listen_side_says_nothing_before_the_connect_sides_hello_then_answers_with_hello_and_proof()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret, TimeSpan.FromMilliseconds(300));
        var serverSide = auth.AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None);
        Assert.Equal(HandshakeOutcome.TimedOut, await serverSide.Within("the listen side to give up"));
        Assert.Equal(0, client.Available);   // not a byte before the client spoke

        (client, server) = await ConnectedPairAsync();
        using var ___ = client;
        using var ____ = server;
        serverSide = new LinkAuthenticator(Secret).AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None);
        var hello = Hello('C');
        await client.SendAsync(hello);
        var answer = new byte[LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize];
        await ReceiveExactly(client, answer);
        Assert.Equal("UoT\u0001L"u8.ToArray(), answer[..5]);
        Assert.Equal(
            auth.Proof(TcpRole.Listen, hello.AsSpan(5), answer.AsSpan(5, LinkAuthenticator.NonceSize)),
            answer[LinkAuthenticator.HelloSize..]);
        client.Dispose();
        Assert.Equal(HandshakeOutcome.Closed, await serverSide.Within("the listen side's verdict"));
    }

    [Fact]
    public async Task A_listen_side_of_an_older_build_which_speaks_first_still_authenticates_this_connect_side()
    {
        // Older builds sent their hello at once on both sides; only the listen side's timing changed since.
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret);
        var serverHello = Hello('L');
        await server.SendAsync(serverHello);   // before reading anything, as the older build did
        var clientSide = auth.AuthenticateAsync(client, TcpRole.Connect, CancellationToken.None);
        var clientHello = new byte[LinkAuthenticator.HelloSize];
        await ReceiveExactly(server, clientHello);
        await server.SendAsync(auth.Proof(TcpRole.Listen, clientHello.AsSpan(5), serverHello.AsSpan(5)));
        var clientProof = new byte[LinkAuthenticator.ProofSize];
        await ReceiveExactly(server, clientProof);
        Assert.Equal(auth.Proof(TcpRole.Connect, clientHello.AsSpan(5), serverHello.AsSpan(5)), clientProof);
        Assert.Equal(HandshakeOutcome.Authenticated, await clientSide.Within("the client's verdict"));
    }

    [Fact]
    public async Task Reflecting_the_servers_own_proof_back_fails()
    {
        // An attacker without the secret sends a hello, then echoes the proof the server answers with.
        var (attacker, server) = await ConnectedPairAsync();
        using var _ = attacker;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret);
        var serverSide = auth.AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None);
        await attacker.SendAsync(Hello('C'));
        var answer = new byte[LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize];
        await ReceiveExactly(attacker, answer);
        await attacker.SendAsync(answer.AsMemory(LinkAuthenticator.HelloSize));
        Assert.Equal(HandshakeOutcome.ProofMismatch, await serverSide.Within("the server's verdict"));
    }

    [Fact]
    public void Proofs_differ_by_role_and_by_nonce()
    {
        var auth = new LinkAuthenticator(Secret);
        byte[] n1 = new byte[32], n2 = new byte[32];
        n2[0] = 1;
        var client = auth.Proof(TcpRole.Connect, n1, n2);
        Assert.NotEqual(client, auth.Proof(TcpRole.Listen, n1, n2));
        Assert.NotEqual(client, auth.Proof(TcpRole.Connect, n2, n1));
        Assert.Equal(client, auth.Proof(TcpRole.Connect, n1, n2));
        Assert.Equal(32, client.Length);
    }

    [Fact]
    public void Empty_secret_is_refused() => Assert.Throws<ArgumentException>(() => new LinkAuthenticator([]));

    /// <summary>A hello as anyone can write it: the magic, a role, a random nonce.</summary>
    private static byte[] Hello(char role)
    {
        var hello = new byte[LinkAuthenticator.HelloSize];
        "UoT\u0001"u8.CopyTo(hello);
        hello[4] = (byte)role;
        Random.Shared.NextBytes(hello.AsSpan(5));
        return hello;
    }

    private static async Task ReceiveExactly(Socket socket, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got)).AsTask().Within("handshake bytes");
            Assert.NotEqual(0, n);
            got += n;
        }
    }

    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept.Within("accept"));
    }
}
