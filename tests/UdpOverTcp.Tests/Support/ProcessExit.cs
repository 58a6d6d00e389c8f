using System.Runtime.InteropServices;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Waiting for a process that is not ours to end (a grandchild), as an event: a pidfd becomes
/// readable when the process exits (Linux 5.3+). Opened before the exit is provoked, so the number
/// cannot have been reused by then.
/// </summary>
public sealed partial class ProcessExit : IDisposable
{
    private const int ESRCH = 3;

    private readonly int _fd;

    private ProcessExit(int fd) => _fd = fd;

    /// <summary>Null when the process has already gone.</summary>
    public static ProcessExit? Watch(int pid)
    {
        int fd = PidFdOpen(pid, 0);
        if (fd >= 0)
        {
            return new ProcessExit(fd);
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH ? null : throw new InvalidOperationException($"pidfd_open({pid}) failed: errno {errno}");
    }

    /// <summary>The processes <paramref name="pid"/> started that are still its children (from any of its threads).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse)
            .ToList();

    /// <summary>Completes when the process has exited.</summary>
    public Task ExitedAsync() => Task.Factory.StartNew(
        () =>
        {
            while (!LinuxSocketCalls.WaitFor(_fd, LinuxSocketCalls.POLLIN, -1))
            {
            }
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    public void Dispose() => _ = Close(_fd);

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int PidFdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
