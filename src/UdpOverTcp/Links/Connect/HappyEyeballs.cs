using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Links.Listen;

namespace UdpOverTcp.Links.Connect;

/// <summary>
/// Connects to the first of several addresses that answers, as Happy Eyeballs does (RFC 8305): the
/// addresses are tried in the resolver's order, each with a short head start over the next, so an
/// address that hangs (an IPv6 route that goes nowhere) costs <see cref="HeadStart"/> rather than the
/// whole timeout, and an address that fails at once hands over to the next at once. The first connect
/// to succeed wins; the others are closed. Each connect is a <see cref="BlockingSetup.ConnectAsync"/>,
/// so the winning socket has never been in the sockets engine.
/// </summary>
public static class HappyEyeballs
{
    /// <summary>RFC 8305's recommended Connection Attempt Delay.</summary>
    public static readonly TimeSpan HeadStart = TimeSpan.FromMilliseconds(250);

    /// <summary>The connected socket. Throws the first address's <see cref="SocketException"/> when all fail, OperationCanceledException when the deadline passes first.</summary>
    /// <param name="newSocket">Makes the socket for one address family, set up as the options say.</param>
    public static async Task<Socket> ConnectAsync(
        IPAddress[] addresses, int port, Func<AddressFamily, Socket> newSocket, TimeSpan deadline, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var stopOthers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connects = new Task?[addresses.Length];
        var sockets = new Socket?[addresses.Length];
        SocketException? firstError = null;
        int next = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (next < addresses.Length)
                {
                    var remaining = deadline - Stopwatch.GetElapsedTime(started);
                    if (remaining <= TimeSpan.Zero)
                    {
                        throw new OperationCanceledException("the connect deadline passed");
                    }

                    try
                    {
                        sockets[next] = newSocket(addresses[next].AddressFamily);
                        connects[next] = BlockingSetup.ConnectAsync(sockets[next]!, new IPEndPoint(addresses[next], port), remaining, stopOthers.Token);
                    }
                    catch (SocketException e)
                    {
                        firstError ??= e;   // e.g. no IPv6 on this host: on to the next address
                    }

                    next++;
                }

                // Wait for any connect to end, or, while addresses remain, for the head start to pass.
                var waits = new List<Task>(addresses.Length + 1);
                foreach (var connect in connects)
                {
                    if (connect is not null)
                    {
                        waits.Add(connect);
                    }
                }

                if (waits.Count == 0)
                {
                    if (next < addresses.Length)
                    {
                        continue;
                    }

                    throw firstError ?? new SocketException((int)SocketError.HostUnreachable);
                }

                if (next < addresses.Length)
                {
                    waits.Add(Task.Delay(HeadStart, stopOthers.Token));
                }

                await Task.WhenAny(waits).ConfigureAwait(false);
                bool timedOut = false;
                for (int i = 0; i < next; i++)
                {
                    if (connects[i] is not { IsCompleted: true } connect)
                    {
                        continue;
                    }

                    connects[i] = null;
                    if (connect.IsCompletedSuccessfully)
                    {
                        var winner = sockets[i]!;
                        sockets[i] = null;
                        return winner;
                    }

                    sockets[i]!.Dispose();
                    sockets[i] = null;
                    if (connect.Exception?.InnerException is SocketException e)
                    {
                        firstError ??= e;
                    }
                    else
                    {
                        timedOut = true;   // each connect has the attempt's deadline, or a stop came
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (timedOut)
                {
                    throw new OperationCanceledException("the connect deadline passed");
                }
            }
        }
        finally
        {
            // The losers: their blocking connects end when their sockets close.
            stopOthers.Cancel();
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }
}
