namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// Counts the sequence indexes a receiver sees: unique, duplicated, and reordered (arrived after a
/// higher index). Remembers which of the last <see cref="Window"/> (or the given number of) indexes below the highest one
/// arrived, in a ring of bits, so memory stays bounded however long a trial runs; an index older
/// than that cannot be told from a duplicate and is counted as a reordered arrival.
/// Allocation-free after construction; not thread-safe (one receive thread owns it).
/// </summary>
public sealed class SequenceTracker
{
    /// <summary>2²⁰ indexes (128 KiB of bits): far more than fit in any socket buffer in flight.</summary>
    public const int Window = 1 << 20;

    private readonly ulong[] _seen;
    private readonly int _window;
    private long _highest = -1;

    /// <summary>A tracker remembering the last <paramref name="window"/> indexes (a power of two, at least 64).</summary>
    public SequenceTracker(int window = Window)
    {
        if (window < 64 || (window & (window - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), "a power of two, at least 64");
        }

        _window = window;
        _seen = new ulong[window / 64];
    }

    public long Unique { get; private set; }
    public long Duplicated { get; private set; }
    public long Reordered { get; private set; }

    public void Reset()
    {
        Array.Clear(_seen);
        _highest = -1;
        Unique = 0;
        Duplicated = 0;
        Reordered = 0;
    }

    /// <summary>Counts an arrival of <paramref name="index"/>; true when it is the first copy (false: a duplicate).</summary>
    public bool Record(long index)
    {
        if (index > _highest)
        {
            Advance(index);
            Set(index);
            Unique++;
            return true;
        }

        if (index <= _highest - _window)
        {
            Unique++;   // too old to remember: assume it is a late first copy
            Reordered++;
            return true;
        }

        if (IsSet(index))
        {
            Duplicated++;
            return false;
        }

        Set(index);
        Unique++;
        Reordered++;
        return true;
    }

    /// <summary>Moves the window's top to <paramref name="index"/>, forgetting the bits it reuses.</summary>
    private void Advance(long index)
    {
        if (index - _highest >= _window)
        {
            Array.Clear(_seen);
        }
        else
        {
            for (long k = _highest + 1; k < index; k++)
            {
                Clear(k);
            }

            Clear(index);
        }

        _highest = index;
    }

    private bool IsSet(long index) => (_seen[Slot(index)] & Bit(index)) != 0;

    private void Set(long index) => _seen[Slot(index)] |= Bit(index);

    private void Clear(long index) => _seen[Slot(index)] &= ~Bit(index);

    private int Slot(long index) => (int)((index & (_window - 1)) >> 6);

    private static ulong Bit(long index) => 1UL << (int)(index & 63);
}
