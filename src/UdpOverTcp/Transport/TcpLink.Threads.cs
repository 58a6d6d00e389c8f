using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.Transport.Linux;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Transport;

/// <summary>
/// The threaded loops (Linux, batched data path). Receive: a thread of the link's own calls recv and
/// flushes into the input pipe, whose reader (the UDP delivery, an inline continuation) then sends the
/// datagrams on that same thread: one wake-up from the wire to sendmmsg, where the async loop takes
/// two (the engine's epoll thread, then a pool thread). Send: still the pipe's reader, run inline by
/// the UDP thread's flush, but with send(MSG_DONTWAIT); when the socket is full it waits for room on
/// a second thread (<see cref="SocketWriteWaiter"/>), and the UDP thread goes back to its datagrams.
/// Neither loop touches the sockets engine, which would otherwise watch the descriptor and queue an
/// event (an allocation) for every burst these loops have already handled.
/// </summary>
public sealed partial class TcpLink
{
    /// <summary>How often an idle receive looks up to see whether the link has been aborted.</summary>
    private const int IdleCheckMilliseconds = 500;

    [SupportedOSPlatform("linux")]
    private Task StartReceiveThread()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveThread();
            }
            finally
            {
                done.SetResult();
            }
        })
        {
            IsBackground = true,
            Name = "tcp receive",
        };
        thread.Start();
        return done.Task;
    }

    [SupportedOSPlatform("linux")]
    private void ReceiveThread()
    {
        var writer = _input.Writer;
        var handle = _socket.SafeHandle;
        string reason = "closed by peer";
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                var memory = writer.GetMemory(MinimumReceiveSize);
                nint received = ReceiveSome(fd, memory);
                if (received > 0)
                {
                    writer.Advance((int)received);
                    var flush = writer.FlushAsync();
                    // The reader runs inline, so the flush is done unless the delivery could not keep up.
                    var result = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        reason = "closed";
                        break;
                    }

                    continue;
                }

                if (received == 0)
                {
                    break;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == EAGAIN)
                {
                    if (IsClosed)
                    {
                        reason = "closed";
                        break;
                    }

                    WaitFor(fd, POLLIN, IdleCheckMilliseconds);   // a shutdown (Abort) wakes it too
                    continue;
                }

                if (errno != EINTR)
                {
                    reason = IsClosed ? "closed" : Describe(errno);
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            reason = "closed";
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }

            // As in the async loop: the reason first, then the completion that ends the delivery.
            Abort(reason);
            writer.Complete();
        }
    }

    /// <summary>
    /// Sends what the socket takes now of <paramref name="bytes"/> with send(MSG_DONTWAIT): all of it, or
    /// less when the socket is full (wait on the <see cref="SocketWriteWaiter"/>, then go on from there).
    /// <paramref name="withinBudget"/>: "full" is the link's <see cref="UnsentBudget"/> of unsent bytes.
    /// Throws <see cref="LinkSendException"/> when the link has failed.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private long SendAvailable(in ReadOnlySequence<byte> bytes, bool withinBudget)
    {
        long room = withinBudget ? _unsentBudget!.Room() : long.MaxValue;
        long total = 0;
        foreach (var segment in bytes)
        {
            int offset = 0;
            while (offset < segment.Length)
            {
                if (room <= 0)
                {
                    room = _unsentBudget!.Room();   // what went before may have left already, on a fast link
                    if (room <= 0)
                    {
                        return total + offset;
                    }
                }

                var next = segment[offset..];
                nint sent = SendSome(next[..(int)Math.Min(next.Length, room)], out int errno);
                if (sent >= 0)
                {
                    offset += (int)sent;
                    room -= sent;
                }
                else if (errno == EAGAIN)
                {
                    return total + offset;
                }
                else if (errno != EINTR)
                {
                    throw new LinkSendException(IsClosed ? "closed" : Describe(errno));
                }
            }

            total += offset;
        }

        return total;
    }

    [SupportedOSPlatform("linux")]
    private static unsafe nint ReceiveSome(int fd, Memory<byte> memory)
    {
        using var pin = memory.Pin();   // pool blocks are pinned already: this only yields the address
        return Recv(fd, pin.Pointer, (nuint)memory.Length, MSG_DONTWAIT);
    }

    /// <summary>Sends what the socket takes now; -1 with the errno otherwise (EAGAIN: full).</summary>
    [SupportedOSPlatform("linux")]
    private unsafe nint SendSome(ReadOnlyMemory<byte> bytes, out int errno)
    {
        var handle = _socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            using var pin = bytes.Pin();
            nint sent = Send((int)handle.DangerousGetHandle(), pin.Pointer, (nuint)bytes.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return sent;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static string Describe(int errno) => errno switch
    {
        ECONNRESET or EPIPE => "reset by peer",
        ETIMEDOUT => "timed out",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };

    /// <summary>Ends the send loop with the reason for the log line (once per link at most).</summary>
    private sealed class LinkSendException(string reason) : Exception(reason);
}
