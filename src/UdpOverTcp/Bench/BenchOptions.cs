using System.Globalization;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Bench;

/// <summary>Options of the built-in <c>bench</c> command.</summary>
public sealed class BenchOptions
{
    public const int MaxSize = 65507;

    public double DurationSeconds { get; set; } = 3;
    public IReadOnlyList<int> Sizes { get; set; } = [64, 1200];
    public bool ShowHelp { get; set; }

    public static readonly IReadOnlyList<OptionSpec<BenchOptions>> Table =
    [
        new("duration", 'd', "SECONDS", "how long to send for each size and path (default 3, at most 60)",
            (o, v) => o.DurationSeconds = ParseDuration(v!)),
        new("size", 's', "LIST", $"datagram sizes in bytes, comma-separated, 8 to {MaxSize} (default 64,1200)",
            (o, v) => o.Sizes = ParseSizes(v!)),
        new("help", 'h', null, "print this help and exit",
            (o, _) => o.ShowHelp = true),
    ];

    public static BenchOptions Parse(ReadOnlySpan<string> args)
    {
        var options = new BenchOptions();
        OptionParser.Parse(Table, args, options);
        return options;
    }

    private static double ParseDuration(string value)
    {
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            || seconds < 0.1 || seconds > 60)
        {
            throw new UsageException($"--duration: '{value}' is not a number of seconds from 0.1 to 60");
        }

        return seconds;
    }

    private static int[] ParseSizes(string value)
    {
        var parts = value.Split(',');
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i])
                || sizes[i] < SequencedPayload.MinimumSize || sizes[i] > MaxSize)
            {
                throw new UsageException($"--size: '{parts[i]}' is not a size from {SequencedPayload.MinimumSize} to {MaxSize}");
            }
        }

        return sizes;
    }
}
