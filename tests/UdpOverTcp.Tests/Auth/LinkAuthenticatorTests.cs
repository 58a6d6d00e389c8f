using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Auth;

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
        Assert.Equal([true, true], results);
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
        Assert.Equal([false, false], results);
    }

    [Fact]
    public async Task Two_listeners_or_two_connectors_never_authenticate_each_other()
    {
        var (a, b) = await ConnectedPairAsync();
        using var _ = a;
        using var __ = b;
        var auth = new LinkAuthenticator(Secret);
        var results = await Task.WhenAll(
            auth.AuthenticateAsync(a, TcpRole.Listen, CancellationToken.None),
            auth.AuthenticateAsync(b, TcpRole.Listen, CancellationToken.None)).Within("the handshake");
        Assert.Equal([false, false], results);
    }

    [Fact]
    public async Task A_silent_peer_fails_at_the_timeout_instead_of_hanging()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret, TimeSpan.FromMilliseconds(200));
        Assert.False(await auth.AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None).Within("the handshake to give up"));
    }

    [Fact]
    public async Task Reflecting_the_servers_own_hello_and_proof_back_fails()
    {
        // An attacker without the secret echoes everything the server sends: hello, then proof.
        var (attacker, server) = await ConnectedPairAsync();
        using var _ = attacker;
        using var __ = server;
        var auth = new LinkAuthenticator(Secret);
        var serverSide = auth.AuthenticateAsync(server, TcpRole.Listen, CancellationToken.None);
        var buffer = new byte[LinkAuthenticator.HelloSize];
        await ReceiveExactly(attacker, buffer);
        buffer[4] = (byte)'C';   // claim the other role, keep the server's own nonce
        await attacker.SendAsync(buffer);
        var proof = new byte[LinkAuthenticator.ProofSize];
        await ReceiveExactly(attacker, proof);
        await attacker.SendAsync(proof);
        Assert.False(await serverSide.Within("the server's verdict"));
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
