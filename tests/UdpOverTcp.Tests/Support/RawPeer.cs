using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>Speaks the u32le wire format by hand over a plain TCP socket: an independent check of the codec.</summary>
public static class RawPeer
{
    /// <summary>A plain TCP connection to 127.0.0.1:<paramref name="port"/>, e.g. a tunnel's listen port.</summary>
    public static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).Within("connect to the tunnel");
        return socket;
    }

    public static async Task WriteFrameAsync(Socket socket, byte[] payload) => await socket.SendAsync(Frame(payload));

    /// <summary><paramref name="payload"/> as the default framing puts it on the wire: a u32le length, then the bytes.</summary>
    public static byte[] Frame(byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    public static async Task<byte[]> ReadFrameAsync(Socket socket)
    {
        var header = new byte[4];
        await ReadExactlyAsync(socket, header);
        var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header)];
        await ReadExactlyAsync(socket, payload);
        return payload;
    }

    /// <summary>True when the other side closes (EOF or reset); false if data arrives instead.</summary>
    public static async Task<bool> ReadsEndOfStreamAsync(Socket socket)
    {
        var buffer = new byte[1];
        try
        {
            return await socket.ReceiveAsync(buffer.AsMemory()).AsTask().Within("the peer to close the link") == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>Everything the other side sends until it closes (EOF or reset).</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().Within("the peer to close the link")) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return received.ToArray();
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer).AsTask().Within("a frame from the tunnel");
            if (n == 0)
            {
                throw new EndOfStreamException("the tunnel closed the link mid-frame");
            }

            buffer = buffer[n..];
        }
    }
}
