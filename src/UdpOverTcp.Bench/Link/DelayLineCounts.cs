namespace UdpOverTcp.Bench.Link;

/// <summary>What one direction of the delay line did with the frames that arrived.</summary>
/// <param name="Forwarded">Sent on after the delay.</param>
/// <param name="Dropped">Dropped on purpose (the asked-for loss).</param>
/// <param name="Overflowed">Dropped because the line held too many, or the kernel refused to send them (should stay 0).</param>
public readonly record struct DelayLineCounts(long Forwarded, long Dropped, long Overflowed);
