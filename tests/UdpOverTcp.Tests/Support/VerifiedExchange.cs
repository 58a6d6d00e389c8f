using System.Net;
using UdpOverTcp.Bench;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Sends numbered datagrams of given sizes from one app to another through a tunnel and checks
/// that each arrives exactly once, whole, in order, from the expected (bonded) source address.
/// A small window of datagrams in flight keeps loopback UDP buffers from overflowing, so any loss
/// is the tunnel's fault.
/// </summary>
public static class VerifiedExchange
{
    private const int DefaultWindow = 4;

    /// <param name="expectedSource">The address the receiver must see datagrams from (port bonding); null where the far end does not bond ports (udptunnel).</param>
    /// <param name="window">Datagrams in flight; 1 is lock-step, for a far end that cannot take frames back to back.</param>
    public static async Task RunAsync(UdpApp sender, IPEndPoint tunnelEntry, UdpApp receiver, IPEndPoint? expectedSource, IReadOnlyList<int> sizes, int window = DefaultWindow)
    {
        using var credit = new SemaphoreSlim(window);
        var receiving = Task.Run(async () =>
        {
            for (int k = 0; k < sizes.Count; k++)
            {
                var (data, from) = await receiver.ReceiveAsync($"datagram {k} of {sizes.Count} ({sizes[k]} bytes)");
                if (expectedSource is not null)
                {
                    Assert.Equal(expectedSource, from);
                }

                Assert.True(data.Length == sizes[k], $"datagram {k}: {data.Length} bytes arrived, {sizes[k]} sent");
                Assert.True(Matches(data, k), $"datagram {k} ({data.Length} bytes) is corrupted or out of order");
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
