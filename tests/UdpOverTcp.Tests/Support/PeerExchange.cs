using System.Net;
using System.Text;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Sequence-checked datagrams both ways (<see cref="VerifiedExchange"/>) between the app at the near
/// end of a path and the app at its far end, where the far app learns where to answer from the near
/// app's first datagram: ProxyGuard's server sends from a UDP port of its own for each connection,
/// and ProxyGuard's client makes its HTTP Upgrade only when that first datagram arrives.
/// </summary>
public static class PeerExchange
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");

    /// <summary>WireGuard's sizes: data packets of 1,200 bytes (its usual MTU's) and small control ones (148, 92, 32), with other sizes between 1 and 1,472. Never 0: ProxyGuard drops an empty datagram.</summary>
    public static int[] WireGuardSizes(int count, int seed)
    {
        var random = new Random(seed);
        int[] common = [1200, 1200, 1200, 148, 92, 32];
        return [.. Enumerable.Range(0, count).Select(i => i < common.Length ? common[i] : random.Next(4) == 0 ? random.Next(1, 1473) : common[random.Next(common.Length)])];
    }

    /// <param name="nearEntry">Where the near app sends (the near peer's UDP port).</param>
    /// <param name="nearSeesFrom">The address the near app must see answers from (the near peer's UDP port), or null.</param>
    /// <param name="farSeesFrom">The address the far app must see datagrams from (a tunnel end's bonded port), or null where it is a port of the peer's choosing (then all must come from the first one's).</param>
    /// <param name="nearToFarPrioritySize">The --priority-size of the tunnel end that puts the near app's datagrams on TCP (small ones may overtake), 0 for a peer that keeps them in order.</param>
    /// <param name="farToNearPrioritySize">The same for the far app's datagrams.</param>
    public static async Task BothWaysAsync(
        UdpApp near, IPEndPoint nearEntry, IPEndPoint? nearSeesFrom, UdpApp far, IPEndPoint? farSeesFrom,
        int count, int seed, int nearToFarPrioritySize, int farToNearPrioritySize)
    {
        near.SendTo(nearEntry, Hello);
        var (hello, farEntry) = await far.ReceiveAsync("the near app's first datagram at the far app");
        Assert.Equal(Hello, hello);
        if (farSeesFrom is not null)
        {
            Assert.Equal(farSeesFrom, farEntry);
        }

        // The rest must come from where the first came from: one connection, one port.
        var nearToFar = VerifiedExchange.RunAsync(near, nearEntry, far, farEntry, WireGuardSizes(count, seed), prioritySize: nearToFarPrioritySize);
        var farToNear = VerifiedExchange.RunAsync(far, farEntry, near, nearSeesFrom, WireGuardSizes(count, seed + 1000), prioritySize: farToNearPrioritySize);
        await Task.WhenAll(nearToFar, farToNear);
    }
}
