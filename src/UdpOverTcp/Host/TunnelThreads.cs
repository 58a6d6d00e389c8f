namespace UdpOverTcp.Host;

/// <summary>
/// Every thread the tunnel starts, started here, named after what it runs (docs/architecture.md,
/// "Threads", has the table). Linux cuts a thread's name to 15 characters (what <c>ps -T</c>,
/// <c>top -H</c> and /proc/PID/task/*/comm show): the names stay within that, and distinct.
/// Everything else runs on the runtime's own threads (the sockets engine, the thread pool).
/// </summary>
public static class TunnelThreads
{
    /// <summary>The batched pump's UDP receive (recvmmsg), which also runs the link's TCP send inline.</summary>
    public const string UdpToTcp = "udp->tcp";

    /// <summary>A threaded link's TCP receive, which also runs the UDP delivery (sendmmsg) inline.</summary>
    public const string TcpToUdp = "tcp->udp";

    /// <summary>A threaded link's wait for room in a full socket, which then runs the rest of that send.</summary>
    public const string SendWait = "tcp send wait";

    /// <summary>The listen side's accepts and pending handshakes.</summary>
    public const string Accept = "tcp accept";

    /// <summary>One blocking set-up step of a new TCP socket: a connect, a proxy's or the link's handshake.</summary>
    public const string LinkSetup = "link setup";

    /// <summary>Starts <paramref name="body"/> on a new background thread named <paramref name="name"/>; an exception it lets out ends the process.</summary>
    public static Thread Start(string name, Action body)
    {
        var thread = new Thread(body.Invoke) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a new background thread named <paramref name="name"/>: the task ends
    /// with its result or its exception. Continuations run elsewhere (the thread pool), never on that thread.
    /// </summary>
    public static Task<T> Run<T>(string name, Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(name, () =>
        {
            try
            {
                done.SetResult(body());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <inheritdoc cref="Run{T}"/>
    public static Task Run(string name, Action body) => Run(name, () =>
    {
        body();
        return true;
    });
}
