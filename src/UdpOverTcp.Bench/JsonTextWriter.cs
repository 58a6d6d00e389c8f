using System.Globalization;
using System.Text;

namespace UdpOverTcp.Bench;

/// <summary>
/// The few calls of Utf8JsonWriter that the bench report uses, written out by hand: System.Text.Json
/// cost 94 KB of a binary that must stay under 3 MB, for one indented object per run. Values are
/// escaped per RFC 8259; a non-finite number is written as null (JSON has no NaN).
/// </summary>
internal sealed class JsonTextWriter(Stream output) : IDisposable
{
    private readonly StreamWriter _out = new(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
    private readonly Stack<bool> _hasItems = new();

    public void WriteStartObject(string? name = null) => Open(name, '{');

    public void WriteStartArray(string name) => Open(name, '[');

    public void WriteEndObject() => Close('}');

    public void WriteEndArray() => Close(']');

    public void WriteString(string name, string? value)
    {
        if (value is null)
        {
            WriteNull(name);
            return;
        }

        Name(name);
        WriteQuoted(value);
    }

    public void WriteNumber(string name, long value)
    {
        Name(name);
        _out.Write(value.ToString(CultureInfo.InvariantCulture));
    }

    public void WriteNumber(string name, double value)
    {
        if (!double.IsFinite(value))
        {
            WriteNull(name);
            return;
        }

        Name(name);
        _out.Write(value.ToString("R", CultureInfo.InvariantCulture));
    }

    public void WriteBoolean(string name, bool value)
    {
        Name(name);
        _out.Write(value ? "true" : "false");
    }

    public void WriteNull(string name)
    {
        Name(name);
        _out.Write("null");
    }

    public void Flush() => _out.Flush();

    public void Dispose() => _out.Dispose();

    private void Open(string? name, char bracket)
    {
        if (name is null)
        {
            Item();
        }
        else
        {
            Name(name);
        }

        _out.Write(bracket);
        _hasItems.Push(false);
    }

    private void Close(char bracket)
    {
        bool hadItems = _hasItems.Pop();
        if (hadItems)
        {
            NewLine();
        }

        _out.Write(bracket);
        if (_hasItems.Count == 0)
        {
            _out.WriteLine();
        }
    }

    private void Name(string name)
    {
        Item();
        WriteQuoted(name);
        _out.Write(": ");
    }

    /// <summary>The comma and line break before a member or element (none before the top-level value).</summary>
    private void Item()
    {
        if (_hasItems.Count == 0)
        {
            return;
        }

        if (_hasItems.Pop())
        {
            _out.Write(',');
        }

        _hasItems.Push(true);
        NewLine();
    }

    private void NewLine()
    {
        _out.WriteLine();
        _out.Write(new string(' ', 2 * _hasItems.Count));
    }

    private void WriteQuoted(string value)
    {
        _out.Write('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': _out.Write("\\\""); break;
                case '\\': _out.Write("\\\\"); break;
                case '\n': _out.Write("\\n"); break;
                case '\r': _out.Write("\\r"); break;
                case '\t': _out.Write("\\t"); break;
                case < ' ': _out.Write($"\\u{(int)c:x4}"); break;
                default: _out.Write(c); break;
            }
        }

        _out.Write('"');
    }
}
