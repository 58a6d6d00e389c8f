using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Links.Connect;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

/// <summary>
/// Every address of a name is tried, in order, each with a short head start: an address that hangs
/// costs the head start, not the timeout; one that refuses hands over at once. A hanging address is
/// stood in for by a loopback listener whose accept queue is full (Linux then drops the SYN).
/// </summary>
[InProcessTest]
public sealed class HappyEyeballsTests
{
    private static readonly IPAddress First = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task A_hanging_first_address_costs_its_head_start_then_the_second_wins()
    {
        int port = FreePort.Tcp();
        using var hanging = FullListener(new IPEndPoint(First, port), out var filler);
        using var _ = filler;
        using var working = Listener(new IPEndPoint(Second, port));

        var clock = Stopwatch.StartNew();
        using var socket = await HappyEyeballs.ConnectAsync([First, Second], port, NewSocket, TimeSpan.FromSeconds(60), CancellationToken.None).Within("the connect");
        Assert.Equal(new IPEndPoint(Second, port), socket.RemoteEndPoint);
        Assert.True(clock.Elapsed >= HappyEyeballs.HeadStart - TimeSpan.FromMilliseconds(20), $"the second address started after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.ElapsedMilliseconds} ms: the hanging address held the attempt");
    }

    [Fact]
    public async Task A_refusing_first_address_hands_over_at_once()
    {
        int port = FreePort.Tcp();   // nothing on 127.0.0.1:port
        using var working = Listener(new IPEndPoint(Second, port));
        using var socket = await HappyEyeballs.ConnectAsync([First, Second], port, NewSocket, TimeSpan.FromSeconds(60), CancellationToken.None).Within("the connect");
        Assert.Equal(new IPEndPoint(Second, port), socket.RemoteEndPoint);
    }

    [Fact]
    public async Task When_every_address_refuses_the_first_error_is_thrown()
    {
        int port = FreePort.Tcp();
        var error = await Assert.ThrowsAsync<SocketException>(
            () => HappyEyeballs.ConnectAsync([First, Second], port, NewSocket, TimeSpan.FromSeconds(60), CancellationToken.None)).Within("the connects to fail");
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task When_every_address_hangs_the_deadline_ends_the_attempt()
    {
        int port = FreePort.Tcp();
        using var one = FullListener(new IPEndPoint(First, port), out var filler1);
        using var two = FullListener(new IPEndPoint(Second, port), out var filler2);
        using (filler1)
        using (filler2)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => HappyEyeballs.ConnectAsync([First, Second], port, NewSocket, TimeSpan.FromSeconds(1), CancellationToken.None)).Within("the deadline");
        }
    }

    private static Socket NewSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp);

    private static Socket Listener(IPEndPoint endpoint)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(8);
        return listener;
    }

    /// <summary>A listener with backlog 0 and one connection it never accepts: further SYNs are dropped.</summary>
    private static Socket FullListener(IPEndPoint endpoint, out Socket filler)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(0);
        filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        filler.Connect(endpoint);
        return listener;
    }
}
