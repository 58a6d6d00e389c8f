using System.Net;
using System.Net.Sockets;
using UdpOverTcp.DataPath;
using UdpOverTcp.Host;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// Set-up work on a new TCP socket (connect, the handshake) done with blocking calls on a thread of
/// its own instead of async calls, so that a socket of the batched data path never enters the sockets
/// engine (<see cref="SocketsEngine"/>). Set-up is rare and short, so a thread per attempt costs nothing that matters.
/// A deadline or cancellation closes the socket, which ends the blocking call.
/// </summary>
public static class BlockingSetup
{
    /// <summary>
    /// Runs <paramref name="work"/> on its own thread (<see cref="TunnelThreads.LinkSetup"/>), woken only by the
    /// socket or its closing; throws OperationCanceledException when the deadline passed or the token was cancelled.
    /// </summary>
    public static Task<T> RunAsync<T>(Socket socket, TimeSpan deadline, CancellationToken cancellationToken, Func<Socket, T> work) =>
        TunnelThreads.Run(TunnelThreads.LinkSetup, () => Run(socket, deadline, cancellationToken, work));

    /// <summary>
    /// Connects <paramref name="socket"/>: on Linux a blocking connect cut short by the deadline; elsewhere,
    /// where the links use the async loops anyway, the usual async connect (closing a socket to end a
    /// blocking connect is only tested on Linux).
    /// </summary>
    public static Task ConnectAsync(Socket socket, EndPoint endpoint, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return ConnectOnEngineAsync(socket, endpoint, deadline, cancellationToken);
        }

        return RunAsync(socket, deadline, cancellationToken, s =>
        {
            s.Connect(endpoint);
            return true;
        });
    }

    private static async Task ConnectOnEngineAsync(Socket socket, EndPoint endpoint, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
    }

    private static T Run<T>(Socket socket, TimeSpan deadline, CancellationToken cancellationToken, Func<Socket, T> work)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        T result;
        try
        {
            using (timeout.Token.Register(static s => ((Socket)s!).Dispose(), socket))
            {
                result = work(socket);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && timeout.IsCancellationRequested)
        {
            throw new OperationCanceledException(timeout.Token);
        }

        // The deadline may have closed the socket just as the work finished: then it is of no use.
        timeout.Token.ThrowIfCancellationRequested();
        return result;
    }
}
