namespace UdpOverTcp.Bench.Trials;

/// <summary>Why the search stopped where it did.</summary>
public enum SearchLimit
{
    /// <summary>Not a search: one trial at the rate asked for.</summary>
    None,

    /// <summary>The next rate up lost 0.1 % or more: the path's own limit.</summary>
    Loss,

    /// <summary>The generator could not offer the next rate up (not enough CPU for it): the bench's limit, not the path's.</summary>
    Generator,

    /// <summary>Lossless at the highest rate the search tries.</summary>
    Maximum,

    /// <summary>Out of trials before the bounds met.</summary>
    Trials,
}

/// <summary>Every trial of a search, the best one that passed, and why it stopped.</summary>
public sealed record SearchResult(IReadOnlyList<TrialResult> Trials, TrialResult? Best, SearchLimit Limit)
{
    /// <summary>The trial to report: the best pass, or else the last trial.</summary>
    public TrialResult Shown => Best ?? Trials[^1];
}

/// <summary>
/// Finds the lossless rate — the highest offered rate with under 0.1 % loss — with short trials:
/// doubling from <see cref="StartRate"/> until a trial fails (quartering instead if the first fails),
/// then bisecting (geometrically) between the best pass and the lowest fail until they are within
/// <see cref="Precision"/>. A rate fails only when a second trial at it fails too: on a shared
/// machine one burst of another process or of the hypervisor (steal time) longer than the sink's
/// socket buffer lasts loses datagrams on any path, and one such trial used to end the doubling
/// early and set the figure (plain UDP ranged from 18,798 to 1.5M/s between runs). Bounded: at most
/// <see cref="MaxTrials"/> trials. Pure: the trial is a function, so the search is tested without sockets.
/// </summary>
public static class RateSearch
{
    public const double StartRate = 10_000;
    public const double MinRate = 500;
    public const double MaxRate = 5_000_000;
    /// <summary>Room for a typical search (about 13 trials) with each failure confirmed.</summary>
    public const int MaxTrials = 24;

    /// <summary>Stop when the lowest fail is within 5 % of the best pass.</summary>
    public const double Precision = 0.05;

    public static SearchResult Run(Func<double, TrialResult> trial)
    {
        var trials = new List<TrialResult>();
        TrialResult? best = null;
        TrialResult? lowestFail = null;
        while (true)
        {
            double rate;
            if (best is null && lowestFail is null)
            {
                rate = StartRate;
            }
            else if (lowestFail is null)
            {
                if (best!.OfferedRate >= MaxRate)
                {
                    return new SearchResult(trials, best, SearchLimit.Maximum);
                }

                rate = Math.Min(best.OfferedRate * 2, MaxRate);
            }
            else if (best is null)
            {
                if (lowestFail.OfferedRate <= MinRate)
                {
                    return new SearchResult(trials, null, LimitOf(lowestFail));
                }

                rate = Math.Max(lowestFail.OfferedRate / 4, MinRate);
            }
            else
            {
                if (lowestFail.OfferedRate <= best.OfferedRate * (1 + Precision))
                {
                    return new SearchResult(trials, best, LimitOf(lowestFail));
                }

                rate = Math.Round(Math.Sqrt(best.OfferedRate * lowestFail.OfferedRate));
            }

            if (trials.Count == MaxTrials)
            {
                return new SearchResult(trials, best, SearchLimit.Trials);
            }

            var result = trial(rate);
            trials.Add(result);
            if (!result.Passed && trials.Count < MaxTrials)
            {
                result = trial(rate);
                trials.Add(result);
            }

            if (result.Passed)
            {
                best = best is null || result.OfferedRate > best.OfferedRate ? result : best;
            }
            else if (lowestFail is null || result.OfferedRate < lowestFail.OfferedRate)
            {
                lowestFail = result;
            }
        }
    }

    /// <summary>One trial at a fixed rate (--rate).</summary>
    public static SearchResult Fixed(double rate, Func<double, TrialResult> trial)
    {
        var result = trial(rate);
        return new SearchResult([result], result.Passed ? result : null, SearchLimit.None);
    }

    private static SearchLimit LimitOf(TrialResult fail) => fail.KeptUp ? SearchLimit.Loss : SearchLimit.Generator;
}
