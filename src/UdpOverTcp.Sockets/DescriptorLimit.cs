using System.Runtime.InteropServices;

namespace UdpOverTcp.Sockets;

/// <summary>
/// The open-file limit (RLIMIT_NOFILE). The .NET runtime raises its soft value to the hard one for
/// JIT-compiled programs, not for Native AOT ones, and systemd starts services at 1024 soft (524288
/// hard), asking programs that need more to raise it themselves: the tunnel does for --max-clients,
/// the bench for its --clients children.
/// </summary>
public static partial class DescriptorLimit
{
    /// <summary>The same on every Linux architecture this builds for.</summary>
    private const int RLIMIT_NOFILE = 7;

    /// <summary>
    /// Raises the soft limit towards <paramref name="needed"/>, as far as the hard one allows. False when
    /// the limit cannot be read (or this is not Linux); otherwise <paramref name="before"/> and
    /// <paramref name="now"/> are the soft limit before and after.
    /// </summary>
    public static bool TryRaise(ulong needed, out ulong before, out ulong now)
    {
        before = now = 0;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<nuint> limits = stackalloc nuint[2];   // struct rlimit { rlim_t rlim_cur, rlim_max; }
        if (GetRLimit(RLIMIT_NOFILE, ref limits[0]) != 0)
        {
            return false;
        }

        before = now = limits[0];
        if (limits[0] < needed)
        {
            limits[0] = (nuint)Math.Min(needed, limits[1]);
            if (SetRLimit(RLIMIT_NOFILE, ref limits[0]) == 0)
            {
                now = limits[0];
            }
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, ref nuint limits);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetRLimit(int resource, ref nuint limits);
}
