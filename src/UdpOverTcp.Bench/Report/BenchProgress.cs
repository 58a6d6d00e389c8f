namespace UdpOverTcp.Bench.Report;

/// <summary>
/// One status line on stderr, rewritten in place after each trial, so a minute-long run shows it is
/// alive. Only when stderr is a terminal: a redirected stderr (a log file, a test) gets nothing.
/// </summary>
public sealed class BenchProgress(bool enabled)
{
    private int _width;

    public static BenchProgress ForConsole() => new(!Console.IsErrorRedirected);

    public void Show(string text)
    {
        if (!enabled)
        {
            return;
        }

        Console.Error.Write('\r' + text.PadRight(_width));
        _width = text.Length;
    }

    /// <summary>Erases the line, before the report or an error is printed.</summary>
    public void Clear()
    {
        if (enabled && _width > 0)
        {
            Console.Error.Write('\r' + new string(' ', _width) + '\r');
            _width = 0;
        }
    }
}
