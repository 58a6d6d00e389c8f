using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>What Linux says about a running process: peak memory, open descriptors, CPU time; and its descriptor limit.</summary>
public static partial class ProcessFigures
{
    private const int RLIMIT_NOFILE = 7;

    /// <summary>Linux reports CPU time in /proc in USER_HZ ticks, 100 a second on every architecture it runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>VmHWM: the most resident memory the process has ever had.</summary>
    public static long PeakResidentBytes(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>The descriptor the process would get next: the lowest number not open.</summary>
    public static int LowestFreeDescriptor(int pid)
    {
        var open = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(p => int.Parse(Path.GetFileName(p))).ToHashSet();
        int fd = 0;
        while (open.Contains(fd))
        {
            fd++;
        }

        return fd;
    }

    /// <summary>User plus system time so far, from /proc/PID/stat.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) ": field 3 onwards
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond);
    }

    /// <summary>Sets the soft limit on open files of a running process, as `ulimit -n` would have at its start.</summary>
    public static void SetDescriptorLimit(int pid, int soft)
    {
        Limit old;
        if (PrLimit(pid, RLIMIT_NOFILE, IntPtr.Zero, out old) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var limit = new Limit { Soft = (ulong)soft, Hard = old.Hard };
        if (PrLimit(pid, RLIMIT_NOFILE, ref limit, IntPtr.Zero) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}, {soft}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Limit
    {
        public ulong Soft;
        public ulong Hard;
    }

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, IntPtr newLimit, out Limit oldLimit);

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, ref Limit newLimit, IntPtr oldLimit);
}
