using System.Text;


namespace UdpOverTcp.CommandLine;

/// <summary>
/// A small table-driven command-line parser (System.CommandLine would add 1.5 MB to the binary).
/// Accepts <c>--name value</c>, <c>--name=value</c>, <c>-x value</c>, <c>-xvalue</c>, <c>--</c>, a
/// repeated short flag (<c>-vv</c>) and options with several values (<c>--name value1 value2</c>).
/// An option may be given once unless its row says it is repeatable.
/// </summary>
public static class OptionParser
{
    public static void Parse<T>(IReadOnlyList<OptionSpec<T>> table, ReadOnlySpan<string> args, T target)
    {
        var seen = new HashSet<OptionSpec<T>>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            OptionSpec<T> spec;
            string? inlineValue = null;

            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                string name = arg[2..];
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    inlineValue = name[(eq + 1)..];
                    name = name[..eq];
                }

                spec = FindLong(table, name) ?? throw new UsageException($"unknown option '--{name}'");
                if (!spec.TakesValue && inlineValue is not null)
                {
                    throw new UsageException($"{spec.Display} takes no value");
                }
            }
            else if (arg.Length > 1 && arg[0] == '-' && arg != "--")
            {
                spec = FindShort(table, arg[1]) ?? throw new UsageException($"unknown option '-{arg[1]}'");
                if (arg.Length > 2 && !spec.TakesValue)
                {
                    // -vv: the same repeatable flag several times; anything else after a flag is a mistake.
                    if (!spec.Repeatable || arg.AsSpan(1).ContainsAnyExcept(arg[1]))
                    {
                        throw new UsageException($"-{arg[1]} takes no value (in '{arg}')");
                    }

                    for (int repeat = 2; repeat < arg.Length; repeat++)
                    {
                        spec.Apply(target, null);
                    }
                }
                else if (arg.Length > 2)
                {
                    inlineValue = arg[2..];
                }
            }
            else
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            if (!seen.Add(spec) && !spec.Repeatable)
            {
                throw new UsageException($"{spec.Display} given more than once");
            }

            if (!spec.TakesValue)
            {
                spec.Apply(target, null);
                continue;
            }

            // An inline value (--name=value, -xvalue) is the first of the option's values.
            for (int k = 0; k < spec.ValueCount; k++)
            {
                string value;
                if (k == 0 && inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException(spec.ValueCount == 1
                        ? $"{spec.Display} needs a value ({spec.ValueName})"
                        : $"{spec.Display} needs {spec.ValueCount} values ({spec.ValueName})");
                }

                spec.Apply(target, value);
            }
        }
    }

    /// <summary>The options section of <c>--help</c>: one aligned line per row, under each row's group heading.</summary>
    public static string FormatHelp<T>(IReadOnlyList<OptionSpec<T>> table)
    {
        var lefts = new string[table.Count];
        int width = 0;
        for (int i = 0; i < table.Count; i++)
        {
            var s = table[i];
            string left = (s.Short is char c ? $"-{c}, " : "    ") + s.Display + (s.TakesValue ? " " + s.ValueName : "");
            lefts[i] = left;
            width = Math.Max(width, left.Length);
        }

        var sb = new StringBuilder();
        string? group = null;
        for (int i = 0; i < table.Count; i++)
        {
            if (table[i].Group is { } heading && heading != group)
            {
                sb.Append(i == 0 ? "" : "\n").Append(heading).Append(":\n");
                group = heading;
            }

            sb.Append("  ").Append(lefts[i].PadRight(width + 2)).Append(table[i].Help).Append('\n');
        }

        return sb.ToString();
    }

    private static OptionSpec<T>? FindLong<T>(IReadOnlyList<OptionSpec<T>> table, string name)
    {
        foreach (var s in table)
        {
            if (s.Long == name)
            {
                return s;
            }
        }

        return null;
    }

    private static OptionSpec<T>? FindShort<T>(IReadOnlyList<OptionSpec<T>> table, char c)
    {
        foreach (var s in table)
        {
            if (s.Short == c)
            {
                return s;
            }
        }

        return null;
    }
}
