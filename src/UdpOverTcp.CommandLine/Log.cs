
namespace UdpOverTcp.CommandLine;

public enum LogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// Terse, timestamped lines on stderr: link events and errors. Only the trace level logs each
/// datagram, and callers check <see cref="IsEnabled"/> first so that costs nothing when off.
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();

    public static LogLevel Level { get; set; } = LogLevel.Info;

    /// <summary>Where lines go; tests and the in-process bench may redirect it.</summary>
    public static TextWriter Output { get; set; } = Console.Error;

    public static bool IsEnabled(LogLevel level) => level >= Level;

    public static void Trace(string message) => Write(LogLevel.Trace, message);

    public static void Debug(string message) => Write(LogLevel.Debug, message);

    public static void Info(string message) => Write(LogLevel.Info, message);

    public static void Warn(string message) => Write(LogLevel.Warn, message);

    public static void Error(string message) => Write(LogLevel.Error, message);

    /// <summary>A line the user asked for explicitly (SIGUSR1): printed at any level, tagged INFO.</summary>
    public static void Always(string message) => Emit("INFO ", message);

    private static void Write(LogLevel level, string message)
    {
        if (level < Level)
        {
            return;
        }

        string tag = level switch
        {
            LogLevel.Trace => "TRACE",
            LogLevel.Debug => "DEBUG",
            LogLevel.Info => "INFO ",
            LogLevel.Warn => "WARN ",
            _ => "ERROR",
        };
        Emit(tag, message);
    }

    private static void Emit(string tag, string message)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {tag} {message}";
        lock (Gate)
        {
            Output.WriteLine(line);
            Output.Flush();
        }
    }
}
