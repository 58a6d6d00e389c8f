using System.Globalization;

namespace UdpOverTcp.Bench.Platform;

/// <summary>The machine's CPU time counters at one moment: all of it, and what the hypervisor took (clock ticks).</summary>
public readonly record struct CpuTimes(long Total, long Stolen)
{
    /// <summary>The share of CPU time the hypervisor gave to other guests between two readings; null if no time passed.</summary>
    public static double? StolenFraction(CpuTimes? before, CpuTimes? after) =>
        before is { } b && after is { } a && a.Total > b.Total
            ? Math.Max(0, a.Stolen - b.Stolen) / (double)(a.Total - b.Total)
            : null;
}

/// <summary>
/// Steal time from the first line of /proc/stat (Linux): CPU time a virtual machine was ready to run
/// but the hypervisor ran another guest instead. On a shared VM it comes in bursts; a burst longer
/// than the sink's socket buffer can hold (a few milliseconds at these rates) loses datagrams that
/// neither the path nor the bench lost, so the bench reports it next to its figures.
/// </summary>
public static class CpuSteal
{
    /// <summary>The counters now, or null where there is no /proc/stat (not Linux) or it cannot be read.</summary>
    public static CpuTimes? Read()
    {
        return OperatingSystem.IsLinux() && SystemFile.TryRead("/proc/stat") is { } stat ? Parse(stat) : null;
    }

    /// <summary>
    /// The "cpu" line: user nice system idle iowait irq softirq steal guest guest_nice. Guest time is
    /// already inside user and nice, so the total is the first eight; steal is the eighth (Linux 2.6.11+).
    /// </summary>
    public static CpuTimes? Parse(string stat)
    {
        const int Columns = 8;
        if (!stat.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return null;
        }

        int end = stat.IndexOf('\n');
        string[] fields = stat[4..(end < 0 ? stat.Length : end)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < Columns)
        {
            return null;
        }

        long total = 0;
        long value = 0;
        for (int i = 0; i < Columns; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out value))
            {
                return null;
            }

            total += value;
        }

        return new CpuTimes(total, value);
    }
}
