using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

[UnitTest]
public class SequenceTrackerTests
{
    [Fact]
    public void A_smaller_window_forgets_sooner_and_must_be_a_power_of_two()
    {
        var t = new SequenceTracker(64);
        foreach (long i in new long[] { 0, 100, 36, 37, 37 })
        {
            t.Record(i);
        }

        // 36 is beyond the 64 remembered below 100: counted as a late first copy; 37 is remembered, so its second copy is a duplicate.
        Assert.Equal((4, 1, 2), (t.Unique, t.Duplicated, t.Reordered));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceTracker(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceTracker(32));
    }

    [Fact]
    public void Stream_indexes_keep_each_client_apart_and_stream_0_is_the_plain_index()
    {
        Assert.Equal(12345, TrialSequence.StreamIndex(0, 12345));
        long index = TrialSequence.StreamIndex(999, (1L << TrialSequence.StreamIndexBits) - 1);
        Assert.Equal(999, TrialSequence.StreamOf(index));
        Assert.Equal((1L << TrialSequence.StreamIndexBits) - 1, TrialSequence.IndexInStream(index));
        Assert.True(index <= TrialSequence.MaxIndex);
        Assert.True(TrialSequence.MaxStreams > BenchOptions.MaxClients);
    }

    [Fact]
    public void In_order_arrivals_are_all_unique()
    {
        var t = Track(0, 1, 2, 3, 4);
        Assert.Equal((5, 0, 0), (t.Unique, t.Duplicated, t.Reordered));
    }

    [Fact]
    public void Gaps_are_losses_not_reordering()
    {
        var t = Track(0, 2, 5, 9);
        Assert.Equal((4, 0, 0), (t.Unique, t.Duplicated, t.Reordered));
    }

    [Fact]
    public void A_late_first_copy_is_reordered_and_a_second_copy_is_duplicated()
    {
        var t = Track(0, 2, 1, 1, 2, 3, 0);
        Assert.Equal(4, t.Unique);
        Assert.Equal(1, t.Reordered);     // 1 after 2
        Assert.Equal(3, t.Duplicated);    // the second 1, the second 2, the second 0
    }

    [Fact]
    public void A_duplicate_of_the_highest_is_a_duplicate()
    {
        var t = Track(7, 7);
        Assert.Equal((1, 1, 0), (t.Unique, t.Duplicated, t.Reordered));
    }

    [Fact]
    public void The_window_forgets_bits_it_reuses_when_it_slides()
    {
        // Index w sits in the same bit as index 0: after sliding, its first copy must not look like a duplicate of 0.
        long w = SequenceTracker.Window;
        var t = Track(0, 1, w - 1, w, w + 1, w);
        Assert.Equal(5, t.Unique);
        Assert.Equal(1, t.Duplicated);
        Assert.Equal(0, t.Reordered);
    }

    [Fact]
    public void A_jump_beyond_the_window_clears_it()
    {
        long w = SequenceTracker.Window;
        var t = Track(0, 3, 5 * w + 3, 5 * w + 2, 5 * w + 2);
        Assert.Equal(4, t.Unique);
        Assert.Equal(1, t.Reordered);
        Assert.Equal(1, t.Duplicated);
    }

    [Fact]
    public void Arrivals_older_than_the_window_count_as_late_first_copies()
    {
        long w = SequenceTracker.Window;
        var t = Track(0, 2 * w, 1);
        Assert.Equal(3, t.Unique);
        Assert.Equal(1, t.Reordered);
        Assert.Equal(0, t.Duplicated);
    }

    [Fact]
    public void Record_says_whether_an_arrival_is_a_first_copy()
    {
        var t = new SequenceTracker();
        Assert.Equal([true, true, false, true, false], new long[] { 5, 3, 3, 4, 5 }.Select(t.Record).ToArray());
    }

    [Fact]
    public void Reset_starts_over()
    {
        var t = Track(0, 1, 1);
        t.Reset();
        t.Record(0);
        Assert.Equal((1, 0, 0), (t.Unique, t.Duplicated, t.Reordered));
    }

    [Fact]
    public void Matches_a_set_based_count_on_a_shuffled_stream_with_copies()
    {
        var random = new Random(42);
        var arrivals = new List<long>();
        for (long i = 0; i < 200_000; i++)
        {
            if (random.Next(10) != 0)
            {
                arrivals.Add(i);   // 10 % lost
            }

            if (random.Next(50) == 0)
            {
                arrivals.Add(i);   // 2 % duplicated
            }
        }

        // Local reordering: swap neighbours now and then.
        for (int k = 1; k < arrivals.Count; k++)
        {
            if (random.Next(20) == 0)
            {
                (arrivals[k - 1], arrivals[k]) = (arrivals[k], arrivals[k - 1]);
            }
        }

        var tracker = new SequenceTracker();
        var seen = new HashSet<long>();
        long highest = -1, duplicated = 0, reordered = 0;
        foreach (long index in arrivals)
        {
            tracker.Record(index);
            if (!seen.Add(index))
            {
                duplicated++;
            }
            else if (index < highest)
            {
                reordered++;
            }

            highest = Math.Max(highest, index);
        }

        Assert.Equal(seen.Count, tracker.Unique);
        Assert.Equal(duplicated, tracker.Duplicated);
        Assert.Equal(reordered, tracker.Reordered);
    }

    private static SequenceTracker Track(params long[] indexes)
    {
        var tracker = new SequenceTracker();
        foreach (long index in indexes)
        {
            tracker.Record(index);
        }

        return tracker;
    }
}
