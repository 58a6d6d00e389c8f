using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>The search against simulated paths: no sockets, no clock.</summary>
[UnitTest]
public class RateSearchTests
{
    [Theory]
    [InlineData(100_000)]
    [InlineData(437_000)]
    [InlineData(12_345)]
    [InlineData(2_000)]
    public void Finds_a_lossy_paths_capacity_within_the_precision(double capacity)
    {
        var trials = new List<double>();
        var result = RateSearch.Run(rate => Simulate(rate, capacity, trials));

        Assert.Equal(SearchLimit.Loss, result.Limit);
        Assert.NotNull(result.Best);
        Assert.True(result.Best.OfferedRate <= capacity);
        Assert.True(result.Best.OfferedRate >= capacity / (1 + RateSearch.Precision), $"best {result.Best.OfferedRate} for capacity {capacity}");
        Assert.True(result.Trials.Count <= RateSearch.MaxTrials);
        Assert.Equal(trials.Count, result.Trials.Count);
        Assert.Same(result.Best, result.Shown);
    }

    [Fact]
    public void Starts_at_the_start_rate_and_doubles()
    {
        var trials = new List<double>();
        RateSearch.Run(rate => Simulate(rate, 100_000, trials));
        Assert.Equal([10_000, 20_000, 40_000, 80_000, 160_000], trials.Take(5));
    }

    [Fact]
    public void One_failed_trial_is_tried_again_so_a_hiccup_does_not_set_the_figure()
    {
        // The first trial at 40,000/s meets a stall of the machine (say, steal time) and loses a tenth.
        var trials = new List<double>();
        bool stalled = false;
        var result = RateSearch.Run(rate =>
        {
            if (rate == 40_000 && !stalled)
            {
                stalled = true;
                trials.Add(rate);
                return Trial(rate, rate, lossFraction: 0.1);
            }

            return Simulate(rate, 100_000, trials);
        });

        Assert.Equal([10_000, 20_000, 40_000, 40_000, 80_000], trials.Take(5));
        Assert.Equal(SearchLimit.Loss, result.Limit);
        Assert.True(result.Best!.OfferedRate >= 100_000 / (1 + RateSearch.Precision), $"best {result.Best.OfferedRate}");
    }

    [Fact]
    public void A_rate_fails_only_after_two_failed_trials_in_a_row_and_a_pass_is_never_repeated()
    {
        var trials = new List<double>();
        RateSearch.Run(rate => Simulate(rate, 100_000, trials));

        for (int i = 0; i < trials.Count; i++)
        {
            if (trials[i] <= 100_000)
            {
                Assert.True(i == 0 || trials[i - 1] != trials[i], $"the pass at {trials[i]} was repeated");
            }
            else
            {
                // Failures come in pairs: this one and the one before or after it are the same rate.
                bool paired = (i > 0 && trials[i - 1] == trials[i]) || (i + 1 < trials.Count && trials[i + 1] == trials[i]);
                Assert.True(paired, $"the fail at {trials[i]} was not confirmed: {string.Join(", ", trials)}");
            }
        }

        Assert.Equal(trials.Count(r => r > 100_000), 2 * trials.Where(r => r > 100_000).Distinct().Count());
    }

    [Fact]
    public void A_path_faster_than_the_search_stops_at_the_maximum()
    {
        var result = RateSearch.Run(rate => Simulate(rate, double.MaxValue, []));
        Assert.Equal(SearchLimit.Maximum, result.Limit);
        Assert.Equal(RateSearch.MaxRate, result.Best!.OfferedRate);
    }

    [Fact]
    public void A_path_that_loses_at_every_rate_has_no_lossless_rate_and_shows_the_last_trial()
    {
        var result = RateSearch.Run(rate => Simulate(rate, 0, []));
        Assert.Null(result.Best);
        Assert.Equal(SearchLimit.Loss, result.Limit);
        Assert.Equal(RateSearch.MinRate, result.Shown.OfferedRate);
    }

    [Fact]
    public void A_generator_that_cannot_keep_up_is_named_as_the_limit()
    {
        // Lossless, but the generator sends at most 300,000/s whatever is asked.
        var result = RateSearch.Run(rate => Trial(rate, Math.Min(rate, 300_000), lossFraction: 0));
        Assert.Equal(SearchLimit.Generator, result.Limit);
        Assert.True(result.Best!.OfferedRate <= 300_000 / TrialResult.MinimumKeptUp);
    }

    [Fact]
    public void Fixed_rate_runs_one_trial()
    {
        var trials = new List<double>();
        var result = RateSearch.Fixed(5_000, rate => Simulate(rate, 100_000, trials));
        Assert.Equal([5_000], trials);
        Assert.Equal(SearchLimit.None, result.Limit);
        Assert.NotNull(result.Best);

        var lossy = RateSearch.Fixed(500_000, rate => Simulate(rate, 100_000, []));
        Assert.Null(lossy.Best);
        Assert.Equal(500_000, lossy.Shown.OfferedRate);
    }

    [Fact]
    public void Loss_at_the_threshold_fails_and_just_below_passes()
    {
        // 100,000 sent: 100 lost is 0.1 %, 99 lost is under.
        Assert.False(Trial(100_000, 100_000, 0.001).Passed);
        Assert.True(Trial(100_000, 100_000, 0.00099).Passed);
    }

    /// <summary>A path that delivers everything up to <paramref name="capacity"/> and drops the excess.</summary>
    private static TrialResult Simulate(double rate, double capacity, List<double> trials)
    {
        trials.Add(rate);
        return Trial(rate, rate, rate <= capacity ? 0 : 1 - (capacity / rate));
    }

    private static TrialResult Trial(double offered, double sentRate, double lossFraction)
    {
        long sent = (long)Math.Round(sentRate);   // one-second trials
        long delivered = sent - (long)Math.Ceiling(sent * lossFraction);
        return new TrialResult(offered, 64, new GeneratorRun(sent, 0, 0, 1.0), new SinkCounts(delivered, 0, 0, 0, 0), null, TimeSpan.Zero);
    }
}
