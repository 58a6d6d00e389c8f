namespace UdpOverTcp.Bench;

/// <summary>
/// The sequence number a bench datagram carries: the trial it belongs to in the high bits, its index
/// within the trial in the low 40. A late datagram from an earlier trial is then recognised and set
/// aside instead of being counted against the next one.
/// </summary>
public static class TrialSequence
{
    public const int IndexBits = 40;

    /// <summary>A trial sends fewer datagrams than this (10M/s for 60 s is 6·10⁸, far below 2⁴⁰).</summary>
    public const long MaxIndex = (1L << IndexBits) - 1;

    /// <summary>Trial numbers stay below 2²³, so the sequence number stays positive.</summary>
    public const int MaxTrial = (1 << (63 - IndexBits)) - 1;

    public static long Compose(int trial, long index) => ((long)trial << IndexBits) | index;

    public static int TrialOf(long sequence) => (int)(sequence >>> IndexBits);

    public static long IndexOf(long sequence) => sequence & MaxIndex;
}
