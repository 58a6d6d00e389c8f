namespace UdpOverTcp.Bench.Traffic;

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

    /// <summary>
    /// With several clients (--clients) each has a sequence of its own: the index's top 10 bits name the
    /// client (its stream), the low 30 count within it (10M/s for 60 s is below 2³⁰). A single stream
    /// is stream 0, so its index is the plain count.
    /// </summary>
    public const int StreamIndexBits = 30;

    /// <summary>Streams a sequence number can name.</summary>
    public const int MaxStreams = 1 << (IndexBits - StreamIndexBits);

    public static long Compose(int trial, long index) => ((long)trial << IndexBits) | index;

    public static int TrialOf(long sequence) => (int)(sequence >>> IndexBits);

    public static long IndexOf(long sequence) => sequence & MaxIndex;

    /// <summary>The index of datagram <paramref name="index"/> of stream <paramref name="stream"/>.</summary>
    public static long StreamIndex(int stream, long index) => ((long)stream << StreamIndexBits) | index;

    public static int StreamOf(long index) => (int)(index >> StreamIndexBits);

    public static long IndexInStream(long index) => index & ((1L << StreamIndexBits) - 1);
}
