using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Host;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath;

/// <summary>
/// TCP → UDP for one link: decodes every complete frame in the link's input and hands its datagram
/// to the pump's <see cref="DatagramSender"/>, which sends it to --udp-sendto from the bound socket
/// (port bonding); one batch per read of the input. A frame larger than the limit ends the link.
/// </summary>
public static class TcpToUdp
{
    /// <summary>
    /// Returns when the link's input ends or a frame is malformed (the link is then aborted).
    /// Runs on: the thread that starts the link, up to the first read; then the thread that filled the input
    /// pipe, inline (PipeScheduler.Inline), after each TCP read: the link's <see cref="TunnelThreads.TcpToUdp"/>
    /// thread with threaded loops, the engine's completion (an engine or pool thread) with engine loops.
    /// </summary>
    public static async Task RunAsync(TcpLink link, FrameCodec codec, DatagramSender sender, TunnelStats stats)
    {
        var input = link.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (codec.TryReadFrame(ref buffer, out var payload))
                    {
                        await sender.SendAsync(payload).ConfigureAwait(false);
                    }

                    // Before AdvanceTo: a batch may still point into the buffer.
                    sender.SendPending();
                }
                catch (FrameTooLargeException e)
                {
                    sender.SendPending();
                    Interlocked.Increment(ref stats.MalformedFrames);
                    link.Abort(LinkEnd.Failed($"protocol error from peer: {e.Message}"));
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!buffer.IsEmpty)
                    {
                        Log.Debug($"link {link.Remote}: {buffer.Length} bytes of an incomplete frame discarded");
                    }

                    return;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }
}
