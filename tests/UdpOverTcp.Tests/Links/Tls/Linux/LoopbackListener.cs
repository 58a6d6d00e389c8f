using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>A listening socket on 127.0.0.1 whose accepted connections become server-side TlsOverSockets.</summary>
public sealed class LoopbackListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public LoopbackListener()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Listen();
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Accepts one connection and runs the server's handshake on it, with a session from <paramref name="context"/>.</summary>
    public async Task<TlsOverSocket> AcceptAsync(TlsServerContext context)
    {
        Socket accepted = await _socket.AcceptAsync().WaitAsync(Guard.Timeout);
        var link = new TlsOverSocket(accepted, context.NewSession());
        try
        {
            await Task.Run(link.Handshake).Within("the server's handshake");
            return link;
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket.Dispose();
}
