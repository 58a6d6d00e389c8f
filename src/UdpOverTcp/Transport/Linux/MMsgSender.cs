using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static UdpOverTcp.Transport.Linux.LinuxSocketCalls;

namespace UdpOverTcp.Transport.Linux;

/// <summary>
/// The batched pump's sender: queues each decoded datagram in a <see cref="GsoRunBuilder"/> and sends
/// the batch with sendmmsg when it is full or the read it came from is done. A message the kernel
/// refuses (unreachable, too big, GSO refused) is counted as a send error and the rest go on.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class MMsgSender : DatagramSender
{
    private readonly BatchedUdpPump _pump;
    private readonly GsoRunBuilder _batch;

    public unsafe MMsgSender(BatchedUdpPump pump)
    {
        _pump = pump;
        _batch = new GsoRunBuilder(pump.SendToAddress, pump.SendToAddressLength);
    }

    public override ValueTask SendAsync(ReadOnlySequence<byte> payload)
    {
        _batch.JoinRuns = _pump.Gso;
        if (!_batch.TryAdd(payload))
        {
            SendPending();
            _batch.TryAdd(payload);   // an empty batch takes any datagram
        }

        return ValueTask.CompletedTask;
    }

    public override unsafe void SendPending()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var destination = _pump.Destination;
        var handle = _pump.SocketHandle;
        bool added = false;
        int sentDatagrams = 0;
        long sentBytes = 0;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            int count = _batch.Count;
            int next = 0;
            while (next < count)
            {
                int sent = SendMMsgAll(fd, _batch.Messages + next, count - next, BatchedUdpPump.IdleWakeMilliseconds, out int errno);
                for (int i = next; i < next + sent; i++)
                {
                    sentDatagrams += _batch.RunLength(i);
                    sentBytes += _batch.RunBytes(i);
                }

                next += sent;
                if (next == count || errno == EBADF)
                {
                    break;   // all sent, or the socket is closed: the rest are lost with it
                }

                // Message [next] failed: count it and go on with the one after.
                if (_batch.RunLength(next) > 1 && _pump.Gso)
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
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        destination.CountSent(sentDatagrams, sentBytes);
        _batch.Clear();
    }

    public override void Dispose()
    {
        SendPending();
        _batch.Dispose();
        base.Dispose();
    }
}
