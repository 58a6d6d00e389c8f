using System.Diagnostics;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// What a `udp-over-tcp-bench --link` run may leave behind: its network namespaces (and with them its
/// veth pair). A namespace exists while a process is in it (/proc/P/task/T/ns/net) or holds a
/// descriptor of it (/proc/P/fd/N); the kernel frees it, and its interfaces, when none does. Its
/// number (net:[N]) is reused at once for the next namespace made anywhere, so a namespace with that
/// number counts as the bench's only if its veth carries the bench's alias, "udp-over-tcp-bench PID".
/// </summary>
public static class LinkLeftovers
{
    /// <summary>Descriptions of the bench's namespaces that still exist ("net:[N] held by /proc/P/..."), empty when none does.</summary>
    public static IReadOnlyList<string> Find(int benchPid, IReadOnlyCollection<string> namespaceIds)
    {
        var found = new List<string>();
        foreach (var (id, holder) in Holders(namespaceIds))
        {
            if (found.Any(f => f.StartsWith(id + " ", StringComparison.Ordinal)))
            {
                continue;
            }

            if (HasAlias(holder, $"udp-over-tcp-bench {benchPid}"))
            {
                found.Add($"{id} held by {holder} ({Command(holder)})");
            }
        }

        return found;
    }

    /// <summary>Waits, bounded, until none of the bench's namespaces exists; returns what is left when it gives up.</summary>
    public static async Task<IReadOnlyList<string>> WaitUntilGoneAsync(int benchPid, IReadOnlyCollection<string> namespaceIds, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var left = Find(benchPid, namespaceIds);
            if (left.Count == 0 || Stopwatch.GetTimestamp() > deadline)
            {
                return left;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every /proc path that refers to one of <paramref name="namespaceIds"/>: a task in it, or a descriptor of it.</summary>
    private static IEnumerable<(string Id, string Path)> Holders(IReadOnlyCollection<string> namespaceIds)
    {
        foreach (string process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out _))
            {
                continue;
            }

            var links = new List<string>();
            try
            {
                links.AddRange(Directory.EnumerateDirectories(Path.Combine(process, "task")).Select(task => Path.Combine(task, "ns", "net")));
                links.AddRange(Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;   // it ended meanwhile
            }

            foreach (string link in links)
            {
                string? target = Target(link);
                if (target is not null && namespaceIds.Contains(target))
                {
                    yield return (target, link);
                }
            }
        }
    }

    private static string? Target(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether an interface in the namespace <paramref name="holder"/> refers to has <paramref name="alias"/> (false if it cannot be entered any more).</summary>
    private static bool HasAlias(string holder, string alias)
    {
        var (exitCode, output, _) = Support.Command.Run("nsenter", "--net=" + holder, "--", "ip", "-o", "link", "show");
        // "3: vx@vy: <...> ... \    alias udp-over-tcp-bench 1234": the alias ends the line.
        return exitCode == 0 && output.Split('\n').Any(line => line.TrimEnd().EndsWith(" alias " + alias, StringComparison.Ordinal));
    }

    private static string Command(string holder)
    {
        string process = string.Join('/', holder.Split('/').Take(3));
        try
        {
            return File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "ended";
        }
    }
}
