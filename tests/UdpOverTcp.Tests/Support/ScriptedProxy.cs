using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A stand-in proxy for the byte-level handshake tests: one loopback connection, whose server side a
/// test scripts (read what the client must send, answer, close), while the client's handshake runs
/// with blocking calls on a thread of its own, as in the tunnel. What the client left unread after its
/// handshake can then be checked: it belongs to the link.
/// </summary>
public sealed class ScriptedProxy : IDisposable
{
    private ScriptedProxy(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    /// <summary>The tunnel's side (blocking, with a receive timeout so a broken client fails instead of hanging).</summary>
    public Socket Client { get; }

    /// <summary>The proxy's side, for the script.</summary>
    public Socket Server { get; }

    public static async Task<ScriptedProxy> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        client.ReceiveTimeout = (int)Guard.Timeout.TotalMilliseconds;
        var server = await listener.AcceptAsync().Within("the scripted proxy's accept");
        return new ScriptedProxy(client, server);
    }

    /// <summary>
    /// Runs <paramref name="handshake"/> (blocking) against <paramref name="script"/>; returns what the
    /// handshake threw, or null when it succeeded.
    /// </summary>
    public async Task<Exception?> RunAsync(Action<Socket> handshake, Func<Socket, Task> script)
    {
        var client = Task.Factory.StartNew(() => handshake(Client), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await script(Server).Within("the proxy's script");
        try
        {
            await client.Within("the client's handshake");
            return null;
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            return e;
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (the script's side).</summary>
    public static async Task<byte[]> ReadAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled)).AsTask().Within($"{count} bytes from the client");
            if (n == 0)
            {
                throw new EndOfStreamException($"the client closed after {filled} of {count} bytes");
            }

            filled += n;
        }

        return buffer;
    }

    /// <summary>An HTTP request's header, up to its blank line (the script's side).</summary>
    public static async Task<string> ReadHeaderAsync(Socket socket)
    {
        var header = new List<byte>();
        while (header.Count < 4 || !header.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            header.AddRange(await ReadAsync(socket, 1));
        }

        return Encoding.ASCII.GetString([.. header]);
    }

    public static Task SendAsync(Socket socket, string text) => SendAsync(socket, Encoding.ASCII.GetBytes(text));

    public static async Task SendAsync(Socket socket, byte[] data) => await socket.SendAsync(data);

    /// <summary>What the client can read after its handshake, up to <paramref name="count"/> bytes.</summary>
    public string ReadLeftover(int count)
    {
        var buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = Client.Receive(buffer, filled, count - filled, SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return Encoding.ASCII.GetString(buffer, 0, filled);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
