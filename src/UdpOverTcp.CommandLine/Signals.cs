using System.Runtime.InteropServices;

namespace UdpOverTcp.CommandLine;

/// <summary>
/// Signal numbers that <see cref="PosixSignal"/> does not name. SIGUSR1 asks the tunnel for its
/// statistics line; its number differs by OS, and <see cref="PosixSignalRegistration"/> takes the raw
/// number cast to <see cref="PosixSignal"/> on Unix.
/// </summary>
public static class Signals
{
    /// <summary>SIGUSR1 on Linux (signal(7)).</summary>
    public const int LinuxUser1 = 10;

    /// <summary>SIGUSR1 on macOS and the BSDs (sys/signal.h).</summary>
    public const int MacOSUser1 = 30;

    /// <summary>SIGUSR1 on this OS (Linux or macOS; Windows has none).</summary>
    public static PosixSignal User1 => (PosixSignal)(OperatingSystem.IsLinux() ? LinuxUser1 : MacOSUser1);
}
