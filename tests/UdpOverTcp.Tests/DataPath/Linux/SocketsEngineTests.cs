using System.Net;
using System.Net.Sockets;
using UdpOverTcp.DataPath;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Linux;

/// <summary>The check behind the batched sockets' debug assertion: it tells a socket the engine watches from one it does not.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[InProcessTest]
[NeedsLinux]
public sealed class SocketsEngineTests
{
    [Fact]
    public async Task A_socket_is_watched_once_an_async_call_on_it_has_waited()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Blocking = false;
        Assert.Throws<SocketException>(() => udp.Receive(new byte[16]));   // would block: returns at once
        Assert.False(SocketsEngine.Watches(udp));

        var receive = udp.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None).AsTask();
        Assert.False(receive.IsCompleted);
        Assert.True(SocketsEngine.Watches(udp));

        udp.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => receive);
    }
}
