using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Waits for a peer that logs nothing when it is ready (nginx, ProxyGuard's server) to accept TCP
/// connections on its port: each try is answered at once (a refusal or an accept), and the peer
/// exiting first is a failure with its stderr.
/// </summary>
public static class TcpAccepting
{
    public static async Task WaitAsync(int port, TunnelProcess peer, string name)
    {
        var deadline = DateTime.UtcNow + Guard.Timeout;
        while (true)
        {
            if (peer.HasExited)
            {
                throw new InvalidOperationException($"{name} exited before accepting on port {port}; stderr:\n{string.Join('\n', peer.Lines)}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).Within($"{name} to answer a connection on port {port}");
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                // Refused: not listening yet.
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"gave up after {Guard.Timeout.TotalSeconds} s waiting for {name} to accept on port {port} ({e.SocketErrorCode}); stderr:\n{string.Join('\n', peer.Lines)}");
            }

            await Task.Delay(10);
        }
    }
}
