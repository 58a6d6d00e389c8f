namespace UdpOverTcp.Links.Upgrade;

/// <summary>
/// A complete HTTP/1.1 head (see <see cref="HttpHead"/>) split into its start line and header fields,
/// strictly (RFC 9112): CRLF between lines, a field name of token characters right before its colon, no
/// line folding, no control characters. Names compare case-insensitively; values are trimmed of spaces and tabs.
/// </summary>
public sealed class HttpMessage
{
    private readonly List<(string Name, string Value)> _fields;

    private HttpMessage(string startLine, List<(string Name, string Value)> fields)
    {
        StartLine = startLine;
        _fields = fields;
    }

    /// <summary>The request line or the status line.</summary>
    public string StartLine { get; }

    /// <summary>Splits <paramref name="head"/> (ending in its blank line); null when it breaks the syntax.</summary>
    public static HttpMessage? Parse(ReadOnlySpan<byte> head)
    {
        if (!head.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }

        // Latin-1, byte for byte: field values may hold obs-text, which matters to nothing compared here.
        var chars = new char[head.Length - 4];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)head[i];
        }

        string[] lines = new string(chars).Split("\r\n");
        if (lines[0].Length == 0 || !IsPrintable(lines[0]))
        {
            return null;
        }

        var fields = new List<(string, string)>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(':');
            if (colon <= 0 || !IsToken(line.AsSpan(0, colon)) || !IsFieldValue(line.AsSpan(colon + 1)))
            {
                return null;   // also a folded line (it begins with a space) and a space before the colon
            }

            fields.Add((line[..colon], line[(colon + 1)..].Trim(" \t".ToCharArray())));
        }

        return new HttpMessage(lines[0], fields);
    }

    /// <summary>The values of every field named <paramref name="name"/> (any case).</summary>
    public IEnumerable<string> Values(string name)
    {
        foreach (var (fieldName, value) in _fields)
        {
            if (string.Equals(fieldName, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return value;
            }
        }
    }

    public int Count(string name)
    {
        int count = 0;
        foreach (string _ in Values(name))
        {
            count++;
        }

        return count;
    }

    /// <summary>Whether a field <paramref name="name"/> lists <paramref name="token"/> (any case) among its comma-separated elements.</summary>
    public bool Lists(string name, string token)
    {
        foreach (string value in Values(name))
        {
            foreach (string element in value.Split(','))
            {
                if (string.Equals(element.Trim(" \t".ToCharArray()), token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsToken(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Visible characters, spaces, tabs and obs-text; no other control character (a lone CR among them).</summary>
    private static bool IsFieldValue(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if ((c < ' ' && c != '\t') || c == 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPrintable(string s) => !s.AsSpan().ContainsAnyInRange((char)0, (char)0x1f) && !s.Contains((char)0x7f);
}
