using System.Net.Sockets;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// The portable link loops: async receive and send on the .NET sockets engine, continuations on its
/// threads and the thread pool. Sends cannot stop part-way, so with a time bound or a priority lane they
/// go a frame-aligned chunk at a time (<see cref="SendScheduler.TryTake"/>), and TCP_NOTSENT_LOWAT
/// keeps the kernel's unsent bytes to <see cref="TcpNotSentLowWater.DefaultBytes"/> where the OS has it.
/// </summary>
public sealed class EngineLinkLoops : LinkLoops
{
    /// <summary>What one send hands the socket at most when the lanes keep the queue (about the kernel's unsent share, see <see cref="TcpNotSentLowWater.DefaultBytes"/>).</summary>
    private const long ChunkBytes = TcpNotSentLowWater.DefaultBytes;

    public EngineLinkLoops(TcpLink link)
        : base(link)
    {
        if (link.QueuesInLanes)
        {
            TcpNotSentLowWater.Apply(link.Socket, TcpNotSentLowWater.DefaultBytes);
        }
    }

    public override Task RunAsync() => Task.WhenAll(ReceiveLoopAsync(), SendLoopAsync());

    /// <summary>Closing wakes a pending async call on every OS (a shutdown does not on all).</summary>
    public override void OnAborted() => Link.Socket.Dispose();

    /// <summary>Runs on: the engine's completions (a pool thread, or an engine thread with <see cref="InlineCompletions"/>); each flush runs <see cref="TcpToUdp"/> inline.</summary>
    private async Task ReceiveLoopAsync()
    {
        var writer = Link.InputWriter;
        LinkEnd reason = LinkEnd.ClosedByPeer;
        try
        {
            var tls = Link.Tls;
            int plain = tls?.Deliver([], writer, Link) ?? 0;   // what the set-up left decrypted or buffered
            while (true)
            {
                if (tls is null)
                {
                    var memory = writer.GetMemory(MinimumReceiveSize);
                    plain = await Link.Socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                    if (plain == 0)
                    {
                        break;
                    }

                    writer.Advance(plain);
                }
                else if (plain == 0)
                {
                    int received = await Link.Socket.ReceiveAsync(tls.Received.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    plain = received == 0 ? 0 : tls.Deliver(tls.Received.AsSpan(0, received), writer, Link);
                    if (received == 0 || (plain == 0 && tls.Session.PeerClosed))
                    {
                        break;
                    }

                    if (plain == 0)
                    {
                        continue;
                    }
                }

                plain = 0;
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    reason = LinkEnd.Closed;
                    break;
                }

                if (tls is not null && tls.Session.PeerClosed)
                {
                    break;
                }
            }
        }
        catch (SocketException e)
        {
            reason = LinkEnd.Of(e);
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
            // Abort first: completing the pipe runs the decoder inline, which would otherwise end the
            // link with its own, vaguer reason. The decoder still sees every byte that did arrive.
            Link.Abort(reason);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs on: the thread that flushed the output lane, inline (the UDP receive loop's), until a send has to wait; then the engine's completion.</summary>
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

                // As in the threaded loop: everything read is sent (or dropped), with the priority lane, before the next read.
                // On stream sockets SendAsync completes only when all of it is sent: a chunk at a time, so
                // that what waits behind it, and the other lane, are looked at again before it goes.
                sending.Begin(result.Buffer);
                var tls = Link.Tls;
                while (sending.TryTake(tls is null ? ChunkBytes : Math.Min(ChunkBytes, TlsLinkCodec.ChunkBytes), out var chunk))
                {
                    if (tls is not null)
                    {
                        int length = tls.Seal(chunk);
                        sending.Sent(chunk.Length);
                        await Link.Socket.SendAsync(tls.ToSend.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
                        continue;
                    }

                    foreach (var segment in chunk)
                    {
                        await Link.Socket.SendAsync(segment, SocketFlags.None).ConfigureAwait(false);
                    }

                    sending.Sent(chunk.Length);
                }

                for (int length; tls is not null && (length = tls.TakePending()) > 0;)
                {
                    await Link.Socket.SendAsync(tls.ToSend.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);   // what reading made (see TlsSession)
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
            reason = LinkEnd.Of(e);
        }
        catch (ObjectDisposedException)
        {
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
            Link.Abort(reason);   // first, for the same reason as in the receive loop
            // The pump's next flush returns IsCompleted and it stops writing to this link.
            sending.Complete();
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
