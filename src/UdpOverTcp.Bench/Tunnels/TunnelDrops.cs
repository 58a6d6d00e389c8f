using System.Globalization;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>
/// What a tunnel end's statistics line says of the udp->tcp direction: datagrams received from the
/// app, and those dropped because TCP could not keep up (backpressure) or, with the time-bounded
/// queue, because they waited too long (stale). Read defensively from
/// "udp->tcp received N datagrams N bytes, dropped N no-link N backpressure N too-large N not-peer[ N stale][, ...]; ...":
/// a counter the tunnel does not have (an older one has no "stale") is null.
/// </summary>
public sealed record TunnelDrops(long Received, long? Backpressure, long? Stale)
{
    /// <summary>The counters in <paramref name="line"/>; null when it has no "udp->tcp received".</summary>
    public static TunnelDrops? Parse(string line)
    {
        const string ReceivedTag = "udp->tcp received ";
        int received = line.IndexOf(ReceivedTag, StringComparison.Ordinal);
        if (received < 0 || Number(line.AsSpan(received + ReceivedTag.Length).TrimStart()) is not { } count)
        {
            return null;
        }

        // "dropped" then "N name" pairs, up to the first word that is not a number (or the end of the part).
        var dropped = new Dictionary<string, long>();
        int start = line.IndexOf("dropped ", received, StringComparison.Ordinal);
        int end = line.IndexOf(';', received);
        if (start >= 0 && (end < 0 || start < end))
        {
            string[] words = line[(start + "dropped ".Length)..(end < 0 ? line.Length : end)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + 1 < words.Length && Number(words[i]) is { } value; i += 2)
            {
                dropped[words[i + 1].TrimEnd(',')] = value;
                if (words[i + 1].EndsWith(','))
                {
                    break;   // ", queue delay now ...": the counters are over
                }
            }
        }

        return new TunnelDrops(count, dropped.TryGetValue("backpressure", out long b) ? b : null, dropped.TryGetValue("stale", out long s) ? s : null);
    }

    /// <summary>The counts since <paramref name="before"/> (the same tunnel's earlier line).</summary>
    public TunnelDrops Since(TunnelDrops before) =>
        new(Received - before.Received, Backpressure - before.Backpressure, Stale - before.Stale);

    /// <summary>The whole number <paramref name="text"/> starts with (digits, then the end or anything but a letter), or null.</summary>
    private static long? Number(ReadOnlySpan<char> text)
    {
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        bool whole = digits > 0 && (digits == text.Length || !char.IsAsciiLetter(text[digits]));
        return whole && long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
    }
}
