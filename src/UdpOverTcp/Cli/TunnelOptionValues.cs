using System.Globalization;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Framing;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Cli;

/// <summary>
/// One option's value, from its text to what <see cref="TunnelOptions"/> holds, within its range: the
/// value parsers of <see cref="TunnelOptionsParser"/>'s table. Each throws <see cref="UsageException"/>
/// with a one-line message naming the option.
/// </summary>
public static class TunnelOptionValues
{
    public static LogLevel ParseLogLevel(string value) => value switch
    {
        "error" => LogLevel.Error,
        "warn" => LogLevel.Warn,
        "info" => LogLevel.Info,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        _ => throw new UsageException($"--log-level: '{value}' is not error, warn, info, debug or trace"),
    };

    public static uint ParseMark(string value)
    {
        bool hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!uint.TryParse(hex ? value[2..] : value, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out uint mark))
        {
            throw new UsageException($"--fwmark: '{value}' is not a 32-bit number (decimal or 0x hex)");
        }

        return mark;
    }

    /// <summary>A name as the kernel's are (letters, digits, '_' and '-'); whether this kernel has it is checked at start-up.</summary>
    public static string ParseCongestion(string value)
    {
        bool valid = value.Length is > 0 and <= TcpCongestion.MaxNameLength;
        foreach (char c in value)
        {
            valid &= char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
        }

        if (!valid)
        {
            throw new UsageException($"--congestion: '{value}' is not a congestion control name (e.g. cubic or bbr; at most {TcpCongestion.MaxNameLength} letters, digits, '_' or '-')");
        }

        return value;
    }

    public static int ParseSeconds(string option, string value, int minimum = 0)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds < minimum || seconds > 3600)
        {
            throw new UsageException($"{option}: '{value}' is not a number of seconds from {minimum} to 3600");
        }

        return seconds;
    }

    public static int ParseMaxClients(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1_000_000)
        {
            throw new UsageException($"--max-clients: '{value}' is not a number from 1 to 1000000");
        }

        return n;
    }

    public static int ParseMilliseconds(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds) || milliseconds > 60_000)
        {
            throw new UsageException($"{option}: '{value}' is not a number of milliseconds from 0 to 60000");
        }

        return milliseconds;
    }

    public static int ParsePrioritySize(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > FrameCodec.DefaultMaxFrame)
        {
            throw new UsageException($"--priority-size: '{value}' is not a number of bytes from 0 to {FrameCodec.DefaultMaxFrame}");
        }

        return n;
    }

    public static int ParsePercent(string option, string value)
    {
        string digits = value.EndsWith('%') ? value[..^1] : value;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 100)
        {
            throw new UsageException($"{option}: '{value}' is not a percentage from 0 to 100");
        }

        return n;
    }

    public static UdpDataPath ParseDataPath(string? value) => value switch
    {
        null or "" or "auto" => UdpDataPath.Auto,
        "portable" => UdpDataPath.Portable,
        "batched" when OperatingSystem.IsLinux() => UdpDataPath.Batched,
        "batched" => throw new UsageException($"{UdpDataPathVariable.Name}=batched needs Linux"),
        _ => throw new UsageException($"{UdpDataPathVariable.Name}: '{value}' is not auto, portable or batched"),
    };

    public static FramingKind ParseFraming(string value) => value switch
    {
        "u32le" => FramingKind.U32LittleEndian,
        "u16be" => FramingKind.U16BigEndian,
        _ => throw new UsageException($"--framing: '{value}' is not u32le or u16be"),
    };

    public static int ParseMaxFrame(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > FrameCodec.DefaultMaxFrame)
        {
            throw new UsageException($"--max-frame: '{value}' is not a number from 1 to {FrameCodec.DefaultMaxFrame}");
        }

        return n;
    }
}
