using System.Diagnostics;
using static UdpOverTcp.Bench.Platform.LinuxCalls;

namespace UdpOverTcp.Bench.Platform;

/// <summary>
/// Sleeps of tens of microseconds, so the generator can pace datagrams in small bursts and give the
/// CPU back in between (generator, sink and both tunnel processes share the cores; a spinning
/// generator would measure its own greed). Thread.Sleep rounds to milliseconds, and Linux adds 50 µs
/// of timer slack to every sleep; on Linux this asks nanosleep directly, with the calling thread's
/// slack lowered to 1 µs. Elsewhere a wait under a millisecond only yields the CPU (Thread.Sleep(0)):
/// pacing stays right, at the cost of a generator thread that is never quite idle.
/// </summary>
public static unsafe class PreciseSleep
{
    /// <summary>Timer slack for the pacing thread, in nanoseconds.</summary>
    private const ulong TimerSlackNanoseconds = 1000;

    /// <summary>Call once on the thread that will sleep.</summary>
    public static void PrepareThread()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = Prctl(PR_SET_TIMERSLACK, (nuint)TimerSlackNanoseconds, 0, 0, 0);
        }
    }

    /// <summary>Sleeps about <paramref name="ticks"/> Stopwatch ticks (at least the OS's resolution).</summary>
    public static void For(long ticks)
    {
        if (OperatingSystem.IsLinux())
        {
            long nanoseconds = Math.Max(1, ticks * 1_000_000_000 / Stopwatch.Frequency);
            var request = new TimeSpec { Seconds = (nint)(nanoseconds / 1_000_000_000), Nanoseconds = (nint)(nanoseconds % 1_000_000_000) };
            _ = NanoSleep(&request, null);   // EINTR: the caller re-reads the clock anyway
            return;
        }

        Thread.Sleep(ticks >= Stopwatch.Frequency / 1000 ? 1 : 0);
    }
}
