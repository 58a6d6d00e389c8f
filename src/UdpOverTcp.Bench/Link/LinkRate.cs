using System.Globalization;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Bench.Link;

/// <summary>The rate of --link, written as tc writes it ("20mbit", "500kbit", "1.5gbit": 1 kbit = 1000 bits/s).</summary>
/// <param name="Text">As given, in lower case: what tc is given too.</param>
public readonly record struct LinkRate(string Text, long BitsPerSecond)
{
    /// <summary>
    /// Below this a 1200 B flow at 0.8x the rate is a few datagrams a second; above it the bench's
    /// generator and sink, and the tunnels, share two cores with a link that is no longer "slow".
    /// </summary>
    public const long Min = 100_000;

    public const long Max = 1_000_000_000;

    public static LinkRate Parse(string value)
    {
        string text = value.Trim().ToLowerInvariant();
        long multiplier = text.EndsWith("gbit", StringComparison.Ordinal) ? 1_000_000_000
            : text.EndsWith("mbit", StringComparison.Ordinal) ? 1_000_000
            : text.EndsWith("kbit", StringComparison.Ordinal) ? 1_000
            : 0;
        if (multiplier == 0
            || !double.TryParse(text.AsSpan(0, text.Length - 4), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)
            || number * multiplier < Min || number * multiplier > Max)
        {
            throw new UsageException($"--link: '{value}' is not a rate from 100kbit to 1gbit, like 20mbit, 500kbit or 1.5mbit");
        }

        return new LinkRate(text, (long)Math.Round(number * multiplier));
    }
}
