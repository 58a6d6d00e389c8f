using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Auth;

/// <summary>The handshake's state machine without sockets: what each side sends when, and what it accepts.</summary>
[UnitTest]
public class HandshakeTests
{
    private static readonly LinkAuthenticator Auth = new("correct horse battery staple"u8.ToArray());

    [Fact]
    public void Two_sides_fed_each_others_bytes_one_at_a_time_authenticate()
    {
        var client = new Handshake(Auth, TcpRole.Connect);
        var server = new Handshake(Auth, TcpRole.Listen);
        var hello = client.TakeOutgoing().ToArray();
        Assert.Equal(LinkAuthenticator.HelloSize, hello.Length);
        Assert.Equal(0, server.TakeOutgoing().Length);   // the listen side waits for the connect side's hello

        Deliver(hello, server, byteAtATime: true);
        Relay(client, server, byteAtATime: true);
        Assert.Equal(HandshakeOutcome.Authenticated, client.Outcome);
        Assert.Equal(HandshakeOutcome.Authenticated, server.Outcome);
    }

    [Fact]
    public void The_listen_side_answers_with_hello_and_proof_together_once_the_hello_is_whole()
    {
        var client = new Handshake(Auth, TcpRole.Connect);
        var server = new Handshake(Auth, TcpRole.Listen);
        var hello = client.TakeOutgoing().ToArray();
        Feed(server, hello.AsSpan(0, LinkAuthenticator.HelloSize - 1));
        Assert.Equal(0, server.TakeOutgoing().Length);
        Assert.False(server.HelloReceived);
        Feed(server, hello.AsSpan(LinkAuthenticator.HelloSize - 1));
        Assert.True(server.HelloReceived);
        Assert.Equal(LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize, server.TakeOutgoing().Length);
        Assert.Equal(0, server.TakeOutgoing().Length);   // each byte is handed out once
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]       // a scanner
    [InlineData("\u0008\0\0\0injected")]     // a plain u32le frame from a peer without the secret
    [InlineData("UoT\u0002C")]               // another version
    [InlineData("UoT\u0001L")]               // a listen side's hello, sent to a listen side
    public void A_listen_side_rejects_a_stranger_at_its_first_wrong_byte(string garbage)
    {
        var server = new Handshake(Auth, TcpRole.Listen);
        var bytes = System.Text.Encoding.Latin1.GetBytes(garbage);
        int fed = 0;
        while (server.Outcome is null)
        {
            Feed(server, bytes.AsSpan(fed, 1));
            fed++;
        }

        Assert.Equal(HandshakeOutcome.NotAHello, server.Outcome);
        Assert.Equal(FirstDifference(bytes, "UoT\u0001C"u8) + 1, fed);
        Assert.Equal(0, server.Incoming.Length);
    }

    [Fact]
    public void Never_asks_for_more_than_it_lacks_so_the_links_bytes_stay_in_the_socket()
    {
        var client = new Handshake(Auth, TcpRole.Connect);
        var server = new Handshake(Auth, TcpRole.Listen);
        Assert.Equal(LinkAuthenticator.HelloSize + LinkAuthenticator.ProofSize, server.Incoming.Length);
        Relay(client, server, byteAtATime: false);
        Assert.Equal(0, server.Incoming.Length);
        Assert.Equal(0, client.Incoming.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.Received(1));
    }

    [Fact]
    public void A_wrong_proof_is_a_mismatch_on_both_sides()
    {
        var client = new Handshake(new LinkAuthenticator("one"u8.ToArray()), TcpRole.Connect);
        var server = new Handshake(new LinkAuthenticator("two"u8.ToArray()), TcpRole.Listen);
        Relay(client, server, byteAtATime: false);
        Assert.Equal(HandshakeOutcome.ProofMismatch, client.Outcome);
        Assert.Equal(HandshakeOutcome.ProofMismatch, server.Outcome);
    }

    [Fact]
    public void Fail_keeps_the_first_outcome()
    {
        var server = new Handshake(Auth, TcpRole.Listen);
        server.Fail(HandshakeOutcome.TimedOut);
        server.Fail(HandshakeOutcome.Closed);
        Assert.Equal(HandshakeOutcome.TimedOut, server.Outcome);
    }

    /// <summary>Carries each side's outgoing bytes to the other until both have an outcome.</summary>
    private static void Relay(Handshake client, Handshake server, bool byteAtATime)
    {
        for (int round = 0; round < 1000 && (client.Outcome is null || server.Outcome is null); round++)
        {
            Deliver(client.TakeOutgoing().ToArray(), server, byteAtATime);
            Deliver(server.TakeOutgoing().ToArray(), client, byteAtATime);
        }
    }

    private static void Deliver(byte[] bytes, Handshake to, bool byteAtATime)
    {
        for (int i = 0; i < bytes.Length && to.Outcome is null; i += byteAtATime ? 1 : bytes.Length)
        {
            Feed(to, bytes.AsSpan(i, byteAtATime ? 1 : bytes.Length));
        }
    }

    private static void Feed(Handshake handshake, ReadOnlySpan<byte> bytes)
    {
        Assert.True(bytes.Length <= handshake.Incoming.Length, "fed more than the handshake asked for");
        bytes.CopyTo(handshake.Incoming);
        handshake.Received(bytes.Length);
    }

    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}
