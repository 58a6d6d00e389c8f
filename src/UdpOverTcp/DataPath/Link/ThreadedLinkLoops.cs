using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Host;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// The Linux link loops, for the batched data path. Receive: a thread of the link's own
/// (<see cref="TunnelThreads.TcpToUdp"/>) calls recv and flushes into the input pipe, whose reader (<see cref="TcpToUdp"/>, an inline
/// continuation) then sends the datagrams on that same thread: one wake-up from the wire to sendmmsg,
/// where the engine takes two (its epoll thread, then a pool thread). Send: the output pipe's reader,
/// run inline by the UDP receive thread's flush, with send(MSG_DONTWAIT); when the socket is full it
/// waits for room on a second thread (<see cref="SocketWriteWaiter"/>) and goes on
/// there, while the UDP thread goes back to its datagrams. The socket never enters the sockets engine
/// (<see cref="SocketsEngine"/>, asserted in the constructor).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ThreadedLinkLoops : LinkLoops
{
    /// <summary>How often an idle receive looks up to see whether the link has been aborted.</summary>
    private const int IdleCheckMilliseconds = 500;

    private readonly SocketWriteWaiter _writeWaiter;

    /// <summary>The share of unsent bytes left to the kernel, with a time bound; null without one.</summary>
    private readonly UnsentBudget? _unsentBudget;

    public ThreadedLinkLoops(TcpLink link)
        : base(link)
    {
        Debug.Assert(!SocketsEngine.Watches(link.Socket), SocketsEngine.Rule);
        _writeWaiter = new SocketWriteWaiter(link.Socket.SafeHandle, () => link.IsClosed);
        _unsentBudget = link.QueuesInLanes ? new UnsentBudget(link.Socket, link.NoteRoundTrip) : null;
    }

    public override Task RunAsync() => Task.WhenAll(StartReceiveThread(), SendLoopAsync());

    private Task StartReceiveThread()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TunnelThreads.Start(TunnelThreads.TcpToUdp, () =>
        {
            try
            {
                ReceiveThread();
            }
            finally
            {
                done.SetResult();
            }
        });
        return done.Task;
    }

    /// <summary>
    /// Runs on: the link's own thread (<see cref="TunnelThreads.TcpToUdp"/>), woken by TCP bytes (poll), a
    /// shutdown, or every <see cref="IdleCheckMilliseconds"/>. Each flush runs <see cref="TcpToUdp"/> inline here.
    /// </summary>
    private void ReceiveThread()
    {
        var writer = Link.InputWriter;
        LinkEnd reason = LinkEnd.ClosedByPeer;
        try
        {
            using var lease = new SocketHandleLease(Link.Socket.SafeHandle);
            int fd = lease.Fd;
            var tls = Link.Tls;
            bool tlsStarted = false;
            while (true)
            {
                nint received;
                int plain;
                if (tls is null)
                {
                    var memory = writer.GetMemory(MinimumReceiveSize);
                    received = ReceiveSome(fd, memory);
                    plain = received > 0 ? (int)received : 0;
                    writer.Advance(plain);
                }
                else if (!tlsStarted)
                {
                    tlsStarted = true;   // first what the set-up left decrypted or buffered
                    received = 1;
                    plain = tls.Deliver([], writer, Link);
                }
                else
                {
                    received = ReceiveSome(fd, tls.Received);
                    plain = received > 0 ? tls.Deliver(tls.Received.AsSpan(0, (int)received), writer, Link) : 0;
                }

                if (received > 0)
                {
                    if (plain > 0)
                    {
                        var flush = writer.FlushAsync();
                        // The reader runs inline, so the flush is done unless the delivery could not keep up.
                        var result = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
                        if (result.IsCompleted || result.IsCanceled)
                        {
                            reason = LinkEnd.Closed;
                            break;
                        }
                    }

                    if (tls is not null && tls.Session.PeerClosed)
                    {
                        break;   // close_notify: closed by peer
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
                    if (Link.IsClosed)
                    {
                        reason = LinkEnd.Closed;
                        break;
                    }

                    WaitFor(fd, POLLIN, IdleCheckMilliseconds);   // a shutdown (Abort) wakes it too
                    continue;
                }

                if (errno != EINTR)
                {
                    reason = Link.IsClosed ? LinkEnd.Closed : LinkEnd.Failed(Describe(errno));
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            reason = LinkEnd.Closed;
        }
        catch (TlsException e)
        {
            reason = LinkEnd.Of(e, Link.IsClosed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            reason = LinkEnd.Unexpected(e, Link.IsClosed);
        }
        finally
        {
            // As in the async loop: the reason first, then the completion that ends the delivery.
            Link.Abort(reason);
            writer.Complete();
        }
    }

    /// <summary>
    /// Shaped like the engine loops' send loop, but not shared with it, and the pair stays so as long as a
    /// shared version costs allocations: with the sends behind an async method of their own, every wait
    /// for room allocated a state machine box (docs/performance.md); here the waits are inline, in the
    /// loop's one state machine, allocated once per link.
    /// Runs on: the thread that starts the link, up to the first read; then, inline (PipeScheduler.Inline), the
    /// thread that wakes the output pipe's reader: the UDP thread's flush (<see cref="UdpToTcp.Flush"/>) or
    /// doorbell (<see cref="TcpLink.WakeSendLoop"/>), or <see cref="TcpLink.Abort"/>'s caller; after a wait
    /// for room, the <see cref="TunnelThreads.SendWait"/> thread, until its next read waits.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = Link.OutputReader;
        var sending = Link.Sending;
        LinkEnd reason = LinkEnd.Closed;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled && Link.IsClosed)
                {
                    break;
                }

                // A read always starts on a frame boundary: everything read is sent (or dropped as stale),
                // with what the priority lane holds, before the next read. A cancelled read that is not the
                // link's end is the pump waking the loop for the priority lane (TcpLink.WakeSendLoop).
                sending.Begin(result.Buffer);
                var tls = Link.Tls;
                while (sending.TryTake(tls is null ? long.MaxValue : TlsChunkLimit(), out var chunk))
                {
                    if (tls is not null)
                    {
                        // Encrypted whole, marked sent, and its ciphertext all sent before the next chunk.
                        int length = tls.Seal(chunk);
                        sending.Sent(chunk.Length);
                        for (int offset = 0; offset < length;)
                        {
                            offset += (int)SendAvailable(new ReadOnlySequence<byte>(tls.ToSend, offset, length - offset), withinBudget: false);
                            if (offset < length)
                            {
                                await _writeWaiter.WaitAsync().ConfigureAwait(false);
                            }
                        }

                        // A record cannot stop part-way, so the unsent budget is kept between chunks: the rest waits in the lanes.
                        while (_unsentBudget is not null && _unsentBudget.Room() <= 0)
                        {
                            await _writeWaiter.WaitAsync().ConfigureAwait(false);
                        }

                        continue;
                    }

                    long sent = SendAvailable(chunk, withinBudget: _unsentBudget is not null && !sending.MidFrame);
                    sending.Sent(sent);
                    if (sent < chunk.Length)
                    {
                        await _writeWaiter.WaitAsync().ConfigureAwait(false);   // the socket is full
                    }
                }

                // The doorbell from the receive thread: ciphertext its reading made (see TlsSession).
                for (int length; tls is not null && (length = tls.TakePending()) > 0;)
                {
                    for (int offset = 0; offset < length;)
                    {
                        offset += (int)SendAvailable(new ReadOnlySequence<byte>(tls.ToSend, offset, length - offset), withinBudget: false);
                        if (offset < length)
                        {
                            await _writeWaiter.WaitAsync().ConfigureAwait(false);
                        }
                    }
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (LinkSendException e)
        {
            reason = e.End;
        }
        catch (TlsException e)
        {
            reason = LinkEnd.Of(e, Link.IsClosed);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            reason = LinkEnd.Unexpected(e, Link.IsClosed);
        }
        finally
        {
            _writeWaiter.Stop();
            Link.Abort(reason);   // first: completing the pipe would let the pump end the link with a vaguer reason
            // The pump's next flush returns IsCompleted and it stops writing to this link.
            sending.Complete();
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// With TLS a chunk is sealed and sent whole, past the unsent budget (a record cannot stop part-way), so
    /// it is taken no larger than the budget's room now (at least one frame): a whole <see cref="TlsLinkCodec.ChunkBytes"/>
    /// chunk in the kernel is 26 ms at 20 Mbit/s, and small datagrams queued behind it (docs/performance.md, TLS).
    /// </summary>
    private long TlsChunkLimit() => Math.Min(TlsLinkCodec.ChunkBytes, Math.Max(1, _unsentBudget?.Room() ?? long.MaxValue));

    /// <summary>
    /// Sends what the socket takes now of <paramref name="bytes"/> with send(MSG_DONTWAIT): all of it, or
    /// less when the socket is full (wait on the <see cref="SocketWriteWaiter"/>, then go on from there).
    /// <paramref name="withinBudget"/>: "full" is the link's <see cref="UnsentBudget"/> of unsent bytes.
    /// Throws <see cref="LinkSendException"/> when the link has failed.
    /// </summary>
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
                    throw new LinkSendException(Link.IsClosed ? LinkEnd.Closed : LinkEnd.Failed(Describe(errno)));
                }
            }

            total += offset;
        }

        return total;
    }

    private static unsafe nint ReceiveSome(int fd, Memory<byte> memory)
    {
        using var pin = memory.Pin();   // pool blocks are pinned already: this only yields the address
        return Recv(fd, pin.Pointer, (nuint)memory.Length, MSG_DONTWAIT);
    }

    /// <summary>Sends what the socket takes now; -1 with the errno otherwise (EAGAIN: full).</summary>
    private unsafe nint SendSome(ReadOnlyMemory<byte> bytes, out int errno)
    {
        using var lease = new SocketHandleLease(Link.Socket.SafeHandle);
        using var pin = bytes.Pin();
        nint sent = Send(lease.Fd, pin.Pointer, (nuint)bytes.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
        errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        return sent;
    }

    private static string Describe(int errno) => errno switch
    {
        ECONNRESET or EPIPE => "reset by peer",
        ETIMEDOUT => "timed out",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };

    /// <summary>Ends the send loop with the reason for the log line (once per link at most).</summary>
    private sealed class LinkSendException(LinkEnd end) : Exception(end.Text)
    {
        public LinkEnd End => end;
    }
}
