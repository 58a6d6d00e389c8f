using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.DataPath.Udp;
using UdpOverTcp.Framing;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath;

/// <summary>
/// TCP → UDP for one link: decodes every complete frame in the link's input and hands its datagram
/// to the pump's <see cref="DatagramSender"/>, which sends it to --udp-sendto from the bound socket
/// (port bonding); one batch per read of the input. A frame larger than the limit ends the link.
/// The input pipe's reader scheduler is inline, so this loop runs on the thread that filled the pipe:
/// the link's receive thread (named <see cref="ThreadName"/>) with threaded loops, an engine thread otherwise.
/// </summary>
public static class TcpToUdp
{
    /// <summary>The threaded link's receive thread, which runs this loop inline after each TCP read.</summary>
    public const string ThreadName = "tcp->udp";

    /// <summary>Returns when the link's input ends or a frame is malformed (the link is then aborted).</summary>
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
