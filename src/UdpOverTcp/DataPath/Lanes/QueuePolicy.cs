namespace UdpOverTcp.DataPath.Lanes;

/// <summary>
/// How a link queues what goes UDP → TCP. <paramref name="Delay"/> (--queue-delay): what waited longer
/// may be dropped (<see cref="TimeBoundedQueue"/>; zero: bounded by bytes only). <paramref name="PrioritySize"/>
/// (--priority-size): datagrams up to this many bytes go in a lane of their own, ahead of queued bulk
/// (zero: one lane for all). <paramref name="PriorityShare"/> (--priority-share): the share of the link's
/// bytes that lane may take ahead of bulk that waits (see <see cref="SendScheduler"/>).
/// </summary>
public readonly record struct QueuePolicy(TimeSpan Delay, int PrioritySize, double PriorityShare)
{
    /// <summary>One lane bounded by bytes only, as the original tool queues.</summary>
    public static QueuePolicy BytesOnly => default;
}
