using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// The batched pump's sender: queues each decoded datagram in a <see cref="GsoRunBuilder"/> and sends
/// the batch with sendmmsg when it is full or the read it came from is done. A message the kernel
/// refuses (unreachable, too big, GSO refused) is counted as a send error and the rest go on.
/// A single link's sender keeps its builder; a --multi-client client's takes one from a shared
/// <see cref="GsoRunBuilderPool"/> at the first datagram of a read and gives it back after the send.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class MMsgSender : DatagramSender
{
    private readonly IBatchedSendTarget _pump;
    private readonly GsoRunBuilderPool? _pool;

    /// <summary>How long a send waits for room in a full socket buffer before it looks again; 0: never waits.</summary>
    private readonly int _waitMilliseconds;
    private GsoRunBuilder? _batch;

    /// <summary>A sender with a builder of its own (one link).</summary>
    public unsafe MMsgSender(BatchedUdpPump pump)
    {
        _pump = pump;
        _batch = new GsoRunBuilder(pump.SendToAddress, pump.SendToAddressLength);
        _waitMilliseconds = BatchedUdpPump.IdleWakeMilliseconds;   // its own thread: it may wait, a little at a time
    }

    /// <summary>A sender that borrows a builder from <paramref name="pool"/> for each read (a --multi-client client).</summary>
    /// <remarks>
    /// It never waits for room in the socket's buffer: it runs on a thread that serves other clients too,
    /// so what finds the buffer full is dropped and counted, as a full router queue drops.
    /// </remarks>
    public MMsgSender(IBatchedSendTarget target, GsoRunBuilderPool pool)
    {
        _pump = target;
        _pool = pool;
        _waitMilliseconds = 0;
    }

    public override ValueTask SendAsync(ReadOnlySequence<byte> payload)
    {
        var batch = _batch ??= _pool!.Rent();
        batch.JoinRuns = _pump.Gso;
        if (!batch.TryAdd(payload))
        {
            Send(batch);
            batch.TryAdd(payload);   // an empty batch takes any datagram
        }

        return ValueTask.CompletedTask;
    }

    public override void SendPending()
    {
        if (_batch is not { } batch)
        {
            return;
        }

        Send(batch);
        if (_pool is not null)
        {
            _batch = null;
            _pool.Return(batch);
        }
    }

    public override void Dispose()
    {
        SendPending();
        if (_pool is null)
        {
            _batch?.Dispose();
        }

        base.Dispose();
    }

    /// <summary>Sends the batch and empties it.</summary>
    private unsafe void Send(GsoRunBuilder batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var destination = _pump.Destination;
        int sentDatagrams = 0;
        long sentBytes = 0;
        try
        {
            using var lease = new SocketHandleLease(_pump.SocketHandle);
            int fd = lease.Fd;
            int count = batch.Count;
            int next = 0;
            while (next < count)
            {
                int sent = SendMMsgAll(fd, batch.Messages + next, count - next, _waitMilliseconds, out int errno);
                for (int i = next; i < next + sent; i++)
                {
                    sentDatagrams += batch.RunLength(i);
                    sentBytes += batch.RunBytes(i);
                }

                next += sent;
                if (next == count || errno == EBADF)
                {
                    break;   // all sent, or the socket is closed: the rest are lost with it
                }

                if (errno == EAGAIN)
                {
                    // The socket's buffer is full and this sender does not wait: the rest of the batch is lost.
                    for (; next < count; next++)
                    {
                        for (int i = 0; i < batch.RunLength(next); i++)
                        {
                            destination.CountSendError("the socket's send buffer is full");
                        }
                    }

                    break;
                }

                // Message [next] failed: count it and go on with the one after.
                if (batch.RunLength(next) > 1 && _pump.Gso)
                {
                    _pump.Gso = false;   // a kernel or route that refuses GSO: plain datagrams from now on
                    Log.Debug($"udp send: GSO refused ({Marshal.GetPInvokeErrorMessage(errno)}); sending datagrams one by one");
                }

                destination.CountSendError(Marshal.GetPInvokeErrorMessage(errno));
                next++;
            }
        }
        catch (ObjectDisposedException)
        {
            // The tunnel is closing: nothing was sent.
        }

        destination.CountSent(sentDatagrams, sentBytes);
        batch.Clear();
    }
}
