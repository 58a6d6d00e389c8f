using System.Text;

namespace UdpOverTcp.Cli;

/// <summary>
/// A small table-driven command-line parser (System.CommandLine would add 1.5 MB to the binary).
/// Accepts <c>--name value</c>, <c>--name=value</c>, <c>-x value</c>, <c>-xvalue</c>, and <c>--</c>;
/// an option may take several values (<c>--name value1 value2</c>). Every option may be given once.
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
                if (arg.Length > 2)
                {
                    if (!spec.TakesValue)
                    {
                        throw new UsageException($"-{arg[1]} takes no value (in '{arg}')");
                    }

                    inlineValue = arg[2..];
                }
            }
            else
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            if (!seen.Add(spec))
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

    /// <summary>The options section of <c>--help</c>, one aligned line per row.</summary>
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
        for (int i = 0; i < table.Count; i++)
        {
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
