using System.Globalization;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;
using static UdpOverTcp.Bench.Cli.BenchOptions;

namespace UdpOverTcp.Bench.Cli;

/// <summary>
/// The value of one option of udp-over-tcp-bench, read from its text: a number within the bounds
/// <see cref="BenchOptions"/> sets, a list, or one of a few words; anything else is the option's
/// usage error. Whether the options go together is <see cref="BenchOptions.Parse"/>'s to say.
/// </summary>
public static class BenchOptionValues
{
    public static double ParseDuration(string value)
    {
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            || seconds < 0.1 || seconds > 60)
        {
            throw new UsageException($"--duration: '{value}' is not a number of seconds from 0.1 to 60");
        }

        return seconds;
    }

    /// <summary>"25ms", "0.5ms" or "25" (milliseconds either way).</summary>
    public static double ParseDelay(string value)
    {
        string number = value.EndsWith("ms", StringComparison.Ordinal) ? value[..^2] : value;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double milliseconds)
            || milliseconds > MaxDelayMilliseconds)
        {
            throw new UsageException($"--delay: '{value}' is not a delay from 0ms to {MaxDelayMilliseconds.ToString(CultureInfo.InvariantCulture)}ms, like 25ms");
        }

        return milliseconds;
    }

    /// <summary>"0.5%" or "0.5" (percent either way), as a fraction.</summary>
    public static double ParseLoss(string value)
    {
        string number = value.EndsWith('%') ? value[..^1] : value;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent)
            || percent > MaxLossPercent)
        {
            throw new UsageException($"--loss: '{value}' is not a loss from 0% to {MaxLossPercent.ToString(CultureInfo.InvariantCulture)}%, like 0.5%");
        }

        return percent / 100;
    }

    public static int ParseSeed(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : throw new UsageException($"--seed: '{value}' is not a number from 0 to {int.MaxValue}");

    public static LinkWorkload ParseWorkload(string value) => value switch
    {
        "steady" => LinkWorkload.Steady,
        "mixed" => LinkWorkload.Mixed,
        "bursts" => LinkWorkload.Bursts,
        _ => throw new UsageException($"--workload: '{value}' is not steady, mixed or bursts"),
    };

    /// <summary>A comma-separated list: each part is given to <paramref name="parseOne"/>, which throws the option's usage error.</summary>
    private static T[] ParseList<T>(string value, Func<string, T> parseOne) => [.. value.Split(',').Select(parseOne)];

    public static double[] ParseLoads(string value) => ParseList(value, part =>
        double.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double load) && load >= MinLoad && load <= MaxLoad
            ? load
            : throw new UsageException($"--loads: '{part}' is not a load from {MinLoad.ToString(CultureInfo.InvariantCulture)} to {MaxLoad.ToString(CultureInfo.InvariantCulture)} (times the link's rate)"));

    public static long ParseRate(string value)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long rate) || rate < 1 || rate > MaxRate)
        {
            throw new UsageException($"--rate: '{value}' is not a number of datagrams per second from 1 to {MaxRate}");
        }

        return rate;
    }

    public static int ParseClients(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int clients) || clients < MinClients || clients > MaxClients)
        {
            throw new UsageException($"--clients: '{value}' is not a number of clients from {MinClients} to {MaxClients}");
        }

        return clients;
    }

    public static UdpDataPath ParseDataPath(string value) => value switch
    {
        "portable" => UdpDataPath.Portable,
        "batched" when OperatingSystem.IsLinux() => UdpDataPath.Batched,
        "batched" => throw new UsageException("--io batched needs Linux (recvmmsg/sendmmsg)"),
        _ => throw new UsageException($"--io: '{value}' is not portable or batched"),
    };

    public static int[] ParseSizes(string value) => ParseList(value, part =>
        int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) && size >= SequencedPayload.MinimumSize && size <= MaxSize
            ? size
            : throw new UsageException($"--size: '{part}' is not a size from {SequencedPayload.MinimumSize} to {MaxSize}"));
}
