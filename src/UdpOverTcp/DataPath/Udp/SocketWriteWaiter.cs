using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading.Tasks.Sources;
using UdpOverTcp.Host;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// Lets an async send loop wait until a socket has room again, without the .NET sockets engine
/// (see <see cref="SocketsEngine"/>). A thread of its own, started at the first wait, blocks in
/// poll(POLLOUT) and then resumes the waiter on itself, so the rest of that send runs there while the
/// thread that flushed goes back to its datagrams. Allocation-free per wait: one
/// reusable value-task source and a semaphore. One waiter at a time (the link's single send loop).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SocketWriteWaiter : IValueTaskSource
{
    /// <summary>How often a wait looks up to see whether the link has ended without waking it.</summary>
    private const int CheckMilliseconds = 500;

    private readonly SafeHandle _handle;
    private readonly Func<bool> _isClosed;
    private readonly SemaphoreSlim _wanted = new(0);
    private ManualResetValueTaskSourceCore<bool> _core;
    private Thread? _thread;
    private volatile bool _stopped;

    public SocketWriteWaiter(SafeHandle handle, Func<bool> isClosed)
    {
        _handle = handle;
        _isClosed = isClosed;
        _core.RunContinuationsAsynchronously = false;   // the point: the send goes on on the waiting thread
    }

    /// <summary>Completes when the socket is writable, or has failed or been shut down (the next send tells which).</summary>
    public ValueTask WaitAsync()
    {
        _core.Reset();
        if (_thread is null)
        {
            _thread = TunnelThreads.Start(TunnelThreads.SendWait, Run);
        }

        _wanted.Release();
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Ends the thread. Called by the send loop once it will not wait again.</summary>
    public void Stop()
    {
        _stopped = true;
        _wanted.Release();
    }

    /// <summary>
    /// Runs on: its own thread (<see cref="TunnelThreads.SendWait"/>), woken by a wait (the semaphore), then
    /// by room in the socket (poll). Setting the result runs the waiting send loop inline, here.
    /// </summary>
    private void Run()
    {
        while (true)
        {
            _wanted.Wait();
            if (_stopped)
            {
                return;
            }

            WaitWritable();
            _core.SetResult(true);
        }
    }

    private void WaitWritable()
    {
        try
        {
            using var lease = new SocketHandleLease(_handle);
            // POLLOUT also comes with an error or a shutdown (POLLERR/POLLHUP are always reported).
            while (!_isClosed() && !WaitFor(lease.Fd, POLLOUT, CheckMilliseconds))
            {
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
