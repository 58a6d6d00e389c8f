using System.Net;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Sends numbered datagrams of given sizes from one app to another through a tunnel and checks
/// that each arrives exactly once, whole, from the expected (bonded) source address, and in order
/// within its class: small datagrams (up to the tunnel's --priority-size) may overtake larger ones
/// queued before them, and nothing else may be reordered.
/// A small window of datagrams in flight keeps loopback UDP buffers from overflowing, so any loss
/// is the tunnel's fault.
/// </summary>
public static class VerifiedExchange
{
    private const int DefaultWindow = 4;

    /// <param name="expectedSource">The address the receiver must see datagrams from (port bonding); null where the far end does not bond ports (udptunnel).</param>
    /// <param name="window">Datagrams in flight; 1 is lock-step, for a far end that cannot take frames back to back.</param>
    /// <param name="prioritySize">The sending tunnel end's --priority-size: datagrams up to it may overtake larger ones; 0: none may.</param>
    public static async Task RunAsync(UdpApp sender, IPEndPoint tunnelEntry, UdpApp receiver, IPEndPoint? expectedSource, IReadOnlyList<int> sizes, int window = DefaultWindow, int prioritySize = TunnelOptions.DefaultPrioritySize)
    {
        using var credit = new SemaphoreSlim(window);
        bool Small(int length) => length <= prioritySize;
        int NextOfClass(int after, bool small)
        {
            int k = after + 1;
            while (k < sizes.Count && Small(sizes[k]) != small)
            {
                k++;
            }

            return k;
        }

        var receiving = Task.Run(async () =>
        {
            // The next datagram expected of each class.
            int nextSmall = NextOfClass(-1, small: true);
            int nextLarge = NextOfClass(-1, small: false);
            for (int received = 0; received < sizes.Count; received++)
            {
                int first = Math.Min(nextSmall, nextLarge);
                var (data, from) = await receiver.ReceiveAsync($"datagram {first} of {sizes.Count} ({sizes[first]} bytes)");
                if (expectedSource is not null)
                {
                    Assert.Equal(expectedSource, from);
                }

                bool small = Small(data.Length);
                int k = small ? nextSmall : nextLarge;
                Assert.True(k < sizes.Count, $"a datagram of {data.Length} bytes arrived after every datagram of its size class had");
                Assert.True(data.Length == sizes[k], $"datagram {k}: {data.Length} bytes arrived, {sizes[k]} sent");
                Assert.True(Matches(data, k), $"datagram {k} ({data.Length} bytes) is corrupted or out of order");
                if (small)
                {
                    nextSmall = NextOfClass(k, small: true);
                }
                else
                {
                    nextLarge = NextOfClass(k, small: false);
                }

                credit.Release();
            }
        });

        var buffer = new byte[65507];
        for (int k = 0; k < sizes.Count; k++)
        {
            var waitCredit = credit.WaitAsync();
            await Task.WhenAny(waitCredit, receiving).Within("the receiver to take datagrams in flight");
            if (receiving.IsCompleted)
            {
                break;   // failed: its exception is thrown below
            }

            var datagram = buffer.AsSpan(0, sizes[k]);
            Fill(datagram, k);
            sender.SendTo(tunnelEntry, datagram);
        }

        await receiving.Within($"{sizes.Count} datagrams to arrive");
    }

    /// <summary>Sizes from 0 to the UDP maximum, mostly small, with the edges always present.</summary>
    public static int[] MixedSizes(int count, int seed)
    {
        var random = new Random(seed);
        var sizes = new int[count];
        int[] edges = [0, 1, 7, 8, 9, 1200, 1472, 65507];
        for (int i = 0; i < count; i++)
        {
            sizes[i] = i < edges.Length ? edges[i]
                : random.Next(20) == 0 ? random.Next(65508)
                : random.Next(1500);
        }

        return sizes;
    }

    private static void Fill(Span<byte> datagram, long k)
    {
        if (datagram.Length >= SequencedPayload.MinimumSize)
        {
            SequencedPayload.Fill(datagram, k);
        }
        else
        {
            for (int i = 0; i < datagram.Length; i++)
            {
                datagram[i] = (byte)(k + i);
            }
        }
    }

    private static bool Matches(byte[] data, long k)
    {
        if (data.Length >= SequencedPayload.MinimumSize)
        {
            return SequencedPayload.Verify(data, data.Length) == k;
        }

        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)(k + i))
            {
                return false;
            }
        }

        return true;
    }
}
