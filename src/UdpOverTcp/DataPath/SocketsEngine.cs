using System.Globalization;
using System.Net.Sockets;

namespace UdpOverTcp.DataPath;

/// <summary>
/// The one rule of the batched data path's sockets: they never enter the .NET sockets engine. An async
/// call on a socket that has to wait registers its descriptor with the engine's epoll set, for good; the
/// engine then queues an event (an allocation) for every burst that the batched pump and the threaded
/// link loops, which make their own system calls, have already handled. So connects and handshakes are
/// blocking calls on a thread of their own (<see cref="Links.Listen.BlockingSetup"/>), the acceptor reads
/// without waiting, and <see cref="Udp.BatchedUdpPump"/> and <see cref="Link.ThreadedLinkLoops"/> assert
/// <see cref="Watches"/> false for their socket in Debug builds (the tests run those).
/// </summary>
public static class SocketsEngine
{
    /// <summary>The assertion's message.</summary>
    public const string Rule = "a batched socket must never have waited in an async call (see SocketsEngine)";

    /// <summary>
    /// True when an epoll set of this process watches <paramref name="socket"/>'s descriptor, as Linux lists
    /// them in /proc/self/fdinfo (by inode, so a reused descriptor number cannot fool it); false elsewhere.
    /// Reads /proc: for assertions, not for the data path.
    /// </summary>
    public static bool Watches(Socket socket)
    {
        if (!OperatingSystem.IsLinux()
            || LinkTarget(socket.SafeHandle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)) is not { } target
            || !target.StartsWith("socket:[", StringComparison.Ordinal)
            || !ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return false;
        }

        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            string name = Path.GetFileName(fd);
            if (LinkTarget(name) == "anon_inode:[eventpoll]" && EpollWatches(name, inode))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What /proc/self/fd/<paramref name="fd"/> points to; null when it is gone.</summary>
    private static string? LinkTarget(string fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether the epoll set <paramref name="fd"/> watches the file <paramref name="inode"/>: its fdinfo has a line "tfd: N events: ... ino:HEX sdev:...".</summary>
    private static bool EpollWatches(string fd, ulong inode)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/self/fdinfo/{fd}");
        }
        catch (IOException)
        {
            return false;
        }

        string wanted = $" ino:{inode:x} ";
        foreach (var line in lines)
        {
            if (line.StartsWith("tfd:", StringComparison.Ordinal) && line.Contains(wanted, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
