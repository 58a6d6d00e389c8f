using System.Globalization;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Cli;

/// <summary>Parses a buffer size: bytes, or with a K/M suffix (KiB, MiB), from 0 up to 1 GiB.</summary>
public static class ByteSize
{
    public const long Max = 1L << 30;

    public static int Parse(string option, string value)
    {
        long multiplier = 1;
        string digits = value;
        if (value.Length > 1 && char.ToUpperInvariant(value[^1]) is 'K' or 'M')
        {
            multiplier = char.ToUpperInvariant(value[^1]) == 'K' ? 1024 : 1024 * 1024;
            digits = value[..^1];
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > Max / multiplier)
        {
            throw new UsageException($"{option}: '{value}' is not a size from 0 to 1024M (bytes, or with a K or M suffix)");
        }

        return (int)(n * multiplier);
    }
}
