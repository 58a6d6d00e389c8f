using System.IO.Pipelines;
using System.Net.Sockets;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// One connected TCP socket and its pipes, in the shape of Kestrel's SocketConnection: a receive
/// loop fills <see cref="Input"/> (read by <see cref="TcpToUdp"/>), a send loop drains the output lanes
/// (<see cref="Bulk"/> and, with --priority-size, <see cref="Priority"/>, written by <see cref="UdpToTcp"/>,
/// chosen between by <see cref="Sending"/>). Everything written to a lane between two sends leaves in one
/// send, which is where coalescing comes from. Which threads run the two loops is the link's
/// <see cref="LinkLoops"/>: the .NET sockets engine's (<see cref="EngineLinkLoops"/>) or threads of the
/// link's own (<see cref="ThreadedLinkLoops"/>), chosen once with the data path (<see cref="DataPathFactory"/>).
/// The link ends as a whole: EOF, a reset or <see cref="Abort"/> completes both pipes.
/// </summary>
public sealed class TcpLink
{
    private readonly Pipe _input;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LinkLoops _loops;
    private int _aborted;

    /// <param name="codec">The framing: the input pipe must be able to hold one whole frame, or the reader could never see it.</param>
    /// <param name="noDelay">TCP_NODELAY: each batch leaves at once (--no-tcp-nodelay turns it off).</param>
    /// <param name="queues">How the UDP → TCP direction queues: bounded by time, with a lane for small datagrams.</param>
    /// <param name="stats">Where the queues count what they drop.</param>
    /// <param name="loops">Makes the loops that run this link's socket I/O.</param>
    public TcpLink(Socket socket, FrameCodec codec, bool noDelay, QueuePolicy queues, TunnelStats stats, Func<TcpLink, LinkLoops> loops)
    {
        Socket = socket;
        Socket.NoDelay = noDelay;
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
        Bulk = new OutputLane(Bound(codec, queues, stats));
        if (queues.PrioritySize > 0 && queues.PriorityShare > 0)
        {
            Priority = new OutputLane(Bound(codec, queues, stats));
            PrioritySize = queues.PrioritySize;
        }

        Sending = new SendScheduler(codec, Bulk, Priority, queues.PriorityShare);

        // Bound memory per direction: the writer pauses above the threshold. The output side never
        // actually waits: the UDP pump drops datagrams while a flush is pending (see UdpToTcp).
        // Inline schedulers: a flush runs the reader's continuation on the flushing thread (the
        // TCP send right after the UDP batch; the UDP delivery right after the TCP read) instead of
        // queueing it to the thread pool: fewer thread hops on a 2-core box, and no work-item allocation.
        long inputPause = Math.Max(4L * (codec.HeaderSize + codec.MaxFrame), 256 * 1024);
        _input = new Pipe(Options(inputPause));
        _loops = loops(this);
    }

    private static TimeBoundedQueue? Bound(FrameCodec codec, QueuePolicy queues, TunnelStats stats) =>
        queues.Delay > TimeSpan.Zero ? new TimeBoundedQueue(codec, queues.Delay, stats) : null;

    /// <summary>
    /// The output lanes' pipe options: what the UDP pump frames a batch into (the benchmarks use them too).
    /// Its byte bound is for memory; time is bounded by <see cref="TimeBoundedQueue"/>. 4 MiB, Linux's
    /// largest TCP send buffer by default: with the kernel's unsent share kept small (UnsentBudget), a
    /// burst waits here instead, and at 1 MiB a burst of 32 datagrams of 32 KB lost some to it.
    /// </summary>
    public static PipeOptions OutputOptions { get; } = Options(4 * 1024 * 1024);

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

    /// <summary>Bytes to the peer, in the bulk lane. Written only by the UDP pump.</summary>
    public PipeWriter Output => Bulk.Writer;

    /// <summary>Completes when the link is dead (both loops have ended and the socket is closed).</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _aborted) != 0;

    /// <summary>Why the link ended; null while it is up.</summary>
    public LinkEnd? CloseReason { get; private set; }

    /// <summary>
    /// What the kernel's TCP went through on this link (<see cref="KernelFigures"/>), read as it ended
    /// (aborted, or its loops done), before its socket was shut down or closed: for the leaving line at
    /// debug level, so null below that level.
    /// </summary>
    public string? KernelFiguresAtEnd { get; private set; }

    public Socket Socket { get; }

    /// <summary>TLS over the socket (--tcp-connect https://), set before <see cref="Start"/>; null: the bytes go as they are.</summary>
    public TlsLinkCodec? Tls { get; set; }

    /// <summary>The lane for all datagrams but the small ones that have a lane of their own.</summary>
    public OutputLane Bulk { get; }

    /// <summary>The lane for datagrams of up to <see cref="PrioritySize"/> bytes; null: one lane for all.</summary>
    public OutputLane? Priority { get; }

    public int PrioritySize { get; }

    /// <summary>
    /// Unsent datagrams should wait in the lanes rather than in the kernel: there they can be dropped by
    /// age, or overtaken by small ones. The loops then keep the kernel's unsent share small.
    /// </summary>
    public bool QueuesInLanes => Bulk.Bound is not null || Priority is not null;

    /// <summary>The send loop learned the link's minimum round trip (from the kernel): the lanes' drop schedules follow it.</summary>
    public void NoteRoundTrip(TimeSpan minRoundTrip)
    {
        Bulk.Bound?.NoteRoundTrip(minRoundTrip);
        Priority?.Bound?.NoteRoundTrip(minRoundTrip);
    }

    /// <summary>What the send loop sends next, from the lanes.</summary>
    public SendScheduler Sending { get; }

    /// <summary>The kernel's figures for this link now (one getsockopt on the caller's thread); null where there are none.</summary>
    public string? KernelFiguresNow() => KernelFigures.Of(Socket);

    /// <summary>The receive loop's side of <see cref="Input"/>.</summary>
    public PipeWriter InputWriter => _input.Writer;

    /// <summary>The send loop's side of <see cref="Output"/> (a benchmark plays the send loop with it too).</summary>
    public PipeReader OutputReader => Bulk.Reader;

    /// <summary>The lane a datagram of <paramref name="length"/> bytes goes in.</summary>
    public OutputLane LaneFor(int length) => Priority is not null && length <= PrioritySize ? Priority : Bulk;

    /// <summary>
    /// Wakes the send loop for what was flushed into the priority lane alone: the loop waits on the bulk
    /// lane's pipe, and a cancelled read (with the link not closed) sends it to the lanes. A doorbell: the
    /// send loop runs inline, on the caller's thread (the pump's receive loop).
    /// </summary>
    public void WakeSendLoop() => Bulk.Reader.CancelPendingRead();

    public void Start()
    {
        _loops.RunAsync().ContinueWith(static (_, state) =>
        {
            // The loops use the descriptor until they end, so only then is the socket closed.
            var link = (TcpLink)state!;
            link.NoteKernelFiguresAtEnd();   // if the loops ended before an abort: the last chance, the socket goes next
            link.Socket.Dispose();
            link.Tls?.Dispose();
            link._closed.TrySetResult();
        }, this, TaskScheduler.Default);
    }

    /// <summary>
    /// Ends the link: shuts the socket down and wakes both loops. Safe to call any number of times from any
    /// thread; a send loop waiting for a read ends inline, on the caller's thread.
    /// </summary>
    public void Abort(LinkEnd reason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        NoteKernelFiguresAtEnd();   // before the shutdown, and before the engine's loops close the socket
        try
        {
            // Shutdown first so a half-written send is not left dangling and the peer sees FIN promptly.
            // It also wakes loops waiting on the socket; the socket is closed when they end (closing it
            // here could wait forever on a loop thread that is itself calling Abort).
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _loops.OnAborted();
        Bulk.Reader.CancelPendingRead();
        _input.Writer.CancelPendingFlush();
    }

    /// <summary>At debug level, keeps what the kernel says of the link as it ends, once: for the leaving line.</summary>
    private void NoteKernelFiguresAtEnd()
    {
        if (KernelFiguresAtEnd is null && Log.IsEnabled(LogLevel.Debug))
        {
            KernelFiguresAtEnd = KernelFiguresNow();
        }
    }
}
