using System.Net.Sockets;
using System.Text;
using UdpOverTcp.Links.Listen;

namespace UdpOverTcp.Links.Connect.Proxy;

/// <summary>
/// Blocking reads and writes for the proxy handshakes, which run on a set-up thread of their own
/// (<see cref="BlockingSetup"/>) so the link's socket never enters the sockets engine. Reads take
/// exactly what the handshake needs and not a byte more: what follows belongs to the link.
/// </summary>
public static class ProxyIo
{
    public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[socket.Send(data)..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; a proxy that closes first is a <see cref="ProxyException"/>.</summary>
    /// <param name="answeredSoFar">Bytes of the proxy's answer already read before this call, for the message.</param>
    public static void ReceiveExactly(Socket socket, Span<byte> buffer, int answeredSoFar)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = socket.Receive(buffer[filled..]);
            if (n == 0)
            {
                throw ClosedEarly(answeredSoFar + filled);
            }

            filled += n;
        }
    }

    public static ProxyException ClosedEarly(int answered) => new(answered == 0
        ? "the proxy closed the connection without answering"
        : $"the proxy closed the connection in the middle of its answer (after {answered} bytes)");

    /// <summary>Text from the proxy, safe for a log line: printable ASCII only, at most <paramref name="max"/> characters.</summary>
    public static string Printable(ReadOnlySpan<byte> text, int max = 160)
    {
        var sb = new StringBuilder();
        foreach (byte b in text)
        {
            if (sb.Length == max)
            {
                sb.Append("...");
                break;
            }

            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }

        return sb.ToString();
    }
}
