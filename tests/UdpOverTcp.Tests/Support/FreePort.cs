using System.Net;
using System.Net.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A port that is free now, for processes that must be told a port up front. Taken below Linux's
/// ephemeral range (32768-60999): a port the OS hands out for port 0 could be handed out again to
/// any other socket (another test's client, a bench child) before the process binds it, which failed
/// a run with "Address already in use". Never the same port twice in one test run.
/// </summary>
public static class FreePort
{
    private const int First = 20000;
    private const int Last = 32767;

    private static readonly HashSet<int> HandedOut = [];

    public static int Tcp() => Get(SocketType.Stream, ProtocolType.Tcp);

    public static int Udp() => Get(SocketType.Dgram, ProtocolType.Udp);

    private static int Get(SocketType type, ProtocolType protocol)
    {
        lock (HandedOut)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                int port = Random.Shared.Next(First, Last + 1);
                if (HandedOut.Contains(port) || !IsFree(port, type, protocol))
                {
                    continue;
                }

                HandedOut.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException($"no free {protocol} port in {First}-{Last}");
    }

    /// <summary>Bindable on the wildcard address, which is what a tunnel given a bare port binds.</summary>
    private static bool IsFree(int port, SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
