using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Transport.Linux;

namespace UdpOverTcp.Transport;

/// <summary>
/// One connected TCP socket and a pair of pipes, in the shape of Kestrel's SocketConnection:
/// a receive loop fills <see cref="Input"/>, a send loop drains <see cref="Output"/>. Everything
/// written to Output between two sends leaves in one send, which is where coalescing comes from.
/// The link ends as a whole: EOF, a reset or <see cref="Abort"/> completes both pipes.
/// Two ways to run the loops: async on the .NET sockets engine (portable), or, on Linux with the
/// batched UDP data path, a receive thread of the link's own (see TcpLink.Threads.cs).
/// </summary>
public sealed partial class TcpLink
{
    /// <summary>Smallest buffer the receive loop asks the pipe for.</summary>
    private const int MinimumReceiveSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>The threaded loops' wait for room in a full socket; null for the async loops, so it also says which loops run.</summary>
    private readonly SocketWriteWaiter? _writeWaiter;
    private readonly TimeBoundedQueue? _queueBound;
    /// <summary>The threaded loops' share of unsent bytes left to the kernel, with a time bound (Linux); null otherwise.</summary>
    private readonly UnsentBudget? _unsentBudget;
    private Task _loops = Task.CompletedTask;
    private int _aborted;

    /// <param name="maxFrameWithHeader">The input pipe must be able to hold one whole frame, or the reader could never see it.</param>
    /// <param name="noDelay">TCP_NODELAY: each batch leaves at once (--no-tcp-nodelay turns it off).</param>
    /// <param name="threaded">
    /// Linux only: the threaded loops. The socket must never have waited in an async operation
    /// (connect and handshake synchronously): the sockets engine would otherwise keep watching it.
    /// </param>
    /// <param name="queueBound">Drops what waited too long to be sent (--queue-delay); null: the queue is bounded by bytes only.</param>
    public TcpLink(Socket socket, int maxFrameWithHeader, bool noDelay, bool threaded = false, TimeBoundedQueue? queueBound = null)
    {
        if (threaded && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the threaded TCP link needs Linux");
        }

        _socket = socket;
        if (threaded && OperatingSystem.IsLinux())
        {
            _writeWaiter = new SocketWriteWaiter(socket.SafeHandle, () => IsClosed);
        }

        _socket.NoDelay = noDelay;
        _queueBound = queueBound;
        if (queueBound is not null && _writeWaiter is not null && OperatingSystem.IsLinux())
        {
            _unsentBudget = new UnsentBudget(socket);
        }
        else if (queueBound is not null)
        {
            TcpNotSentLowWater.Apply(socket, TcpNotSentLowWater.DefaultBytes);
        }

        Remote = socket.RemoteEndPoint?.ToString() ?? "?";

        // Bound memory per direction: the writer pauses above the threshold. The output side never
        // actually waits: the UDP pump drops datagrams while a flush is pending (see LinkWriter).
        // Inline schedulers: a flush runs the reader's continuation on the flushing thread (the
        // TCP send right after the UDP batch; the UDP delivery right after the TCP read) instead of
        // queueing it to the thread pool: fewer thread hops on a 2-core box, and no work-item allocation.
        long inputPause = Math.Max(4L * maxFrameWithHeader, 256 * 1024);
        _input = new Pipe(Options(inputPause));
        _output = new Pipe(OutputOptions);
    }

    /// <summary>
    /// The output pipe's options: what the UDP pump frames a batch into (the benchmarks use them too).
    /// Its byte bound is for memory; time is bounded by <see cref="TimeBoundedQueue"/>. 4 MiB, Linux's
    /// largest TCP send buffer by default: with the kernel's unsent share kept small (UnsentBudget), a
    /// burst waits here instead, and at 1 MiB a burst of 32 datagrams of 32 KB lost some to it.
    /// </summary>
    internal static PipeOptions OutputOptions { get; } = Options(4 * 1024 * 1024);

    private static PipeOptions Options(long pauseWriterThreshold) => new(
        pauseWriterThreshold: pauseWriterThreshold,
        resumeWriterThreshold: pauseWriterThreshold / 2,
        pool: PinnedBlockPool.Instance,
        minimumSegmentSize: PinnedBlockPool.BlockSize,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    /// <summary>The peer, for log lines.</summary>
    public string Remote { get; }

    /// <summary>Bytes from the peer. Read by the frame decoder.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Bytes to the peer. Written only by the UDP pump.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Flushes what the UDP pump framed into <see cref="Output"/>, noting when it was queued (see <see cref="TimeBoundedQueue"/>).</summary>
    public ValueTask<FlushResult> FlushOutputAsync()
    {
        _queueBound?.Record(_output.Writer.UnflushedBytes);
        return _output.Writer.FlushAsync(CancellationToken.None);
    }

    /// <summary>The send loop's side of <see cref="Output"/>, for a benchmark that plays the send loop without a socket.</summary>
    internal PipeReader OutputReaderForBenchmarks => _output.Reader;

    /// <summary>Completes when the link is dead (both loops have ended).</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _aborted) != 0;

    private bool Threaded => _writeWaiter is not null;

    /// <summary>Why the link ended, for the log line; null while it is up.</summary>
    public string? CloseReason { get; private set; }

    public void Start()
    {
        if (Threaded && OperatingSystem.IsLinux())
        {
            _loops = Task.WhenAll(StartReceiveThread(), SendLoopAsync());
            // The threads use the descriptor until they end, so only then is the socket closed.
            _loops.ContinueWith(static (_, state) =>
            {
                var link = (TcpLink)state!;
                link._socket.Dispose();
                link._closed.TrySetResult();
            }, this, TaskScheduler.Default);
            return;
        }

        _loops = Task.WhenAll(ReceiveLoopAsync(), SendLoopAsync());
        _loops.ContinueWith(static (_, state) => ((TcpLink)state!)._closed.TrySetResult(), this, TaskScheduler.Default);
    }

    /// <summary>Ends the link: closes the socket and wakes both loops. Safe to call any number of times from any thread.</summary>
    public void Abort(string reason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        try
        {
            // Shutdown first so a half-written send is not left dangling and the peer sees FIN promptly.
            // It also wakes the threaded loops' poll calls; they close the socket when they end (closing
            // it here could wait forever on a thread that is itself calling Abort).
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        if (!Threaded)
        {
            _socket.Dispose();
        }

        _output.Reader.CancelPendingRead();
        _input.Writer.CancelPendingFlush();
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        string reason = "closed by peer";
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(MinimumReceiveSize);
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    reason = "closed";
                    break;
                }
            }
        }
        catch (SocketException e)
        {
            reason = Describe(e);
        }
        catch (ObjectDisposedException)
        {
            reason = "closed";
        }
        finally
        {
            // Abort first: completing the pipe runs the decoder inline, which would otherwise end the
            // link with its own, vaguer reason. The decoder still sees every byte that did arrive.
            Abort(reason);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        string reason = "closed";
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                // Everything read is sent (or dropped as stale) before the next read: a read always starts on a frame boundary.
                var unsent = result.Buffer;
                while (!unsent.IsEmpty)
                {
                    if (_queueBound is not null)
                    {
                        unsent = _queueBound.DropStale(unsent);
                        if (unsent.IsEmpty)
                        {
                            break;
                        }
                    }

                    if (_writeWaiter is not null && OperatingSystem.IsLinux())
                    {
                        // Inline, not in a helper async method: its state machine would be one more allocation per wait.
                        long sent = SendAvailable(unsent, withinBudget: _unsentBudget is not null);
                        _queueBound?.Sent(sent);
                        if (sent == unsent.Length)
                        {
                            break;
                        }

                        // The socket is full. A frame begun must be finished before anything can be dropped.
                        long rest = _queueBound?.ToFrameEnd(unsent, sent) ?? 0;
                        unsent = unsent.Slice(sent);
                        while (rest > 0)
                        {
                            await _writeWaiter.WaitAsync().ConfigureAwait(false);
                            sent = SendAvailable(unsent.Slice(0, rest), withinBudget: false);
                            _queueBound?.Sent(sent);
                            unsent = unsent.Slice(sent);
                            rest -= sent;
                        }

                        await _writeWaiter.WaitAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        // On stream sockets SendAsync completes only when all of it is sent; with a bound, a
                        // chunk at a time, so that what waits behind it is looked at again before it goes.
                        var chunk = _queueBound is null ? unsent : unsent.Slice(0, _queueBound.ChunkLength(unsent));
                        foreach (var segment in chunk)
                        {
                            await _socket.SendAsync(segment, SocketFlags.None).ConfigureAwait(false);
                        }

                        _queueBound?.Sent(chunk.Length);
                        unsent = unsent.Slice(chunk.Length);
                    }
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException e)
        {
            reason = Describe(e);
        }
        catch (LinkSendException e)
        {
            reason = e.Message;
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (OperatingSystem.IsLinux())
            {
                _writeWaiter?.Stop();
            }

            Abort(reason);   // first, for the same reason as in the receive loop
            // The pump's next flush returns IsCompleted and it stops writing to this link.
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionReset => "reset by peer",
        SocketError.OperationAborted => "closed",
        SocketError.TimedOut => "timed out",
        _ => e.Message,
    };
}
