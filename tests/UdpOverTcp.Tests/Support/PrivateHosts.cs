using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// An /etc/hosts of the test's own: programs started through <see cref="Wrap"/> run in a mount namespace
/// of their own (`unshare -m`) where a temporary hosts file is bind-mounted over /etc/hosts, and an
/// nsswitch.conf that says "hosts: files", so a name that is not in the file fails at once without
/// asking any DNS server. <see cref="Set"/> rewrites the file in place (the same inode, which the bind
/// mount shows): the programs' next lookups see the change, as after a DNS update. Needs root (CI
/// runs as root); without it the test is skipped with that reason (its test must be a [SkippableFact]).
/// </summary>
public sealed partial class PrivateHosts : IDisposable
{
    private readonly string _directory;
    private readonly Dictionary<string, string> _entries = [];

    /// <exception cref="SkipException">Not root: mount namespaces cannot be made here.</exception>
    public PrivateHosts()
    {
        Skip.If(GetEffectiveUserId() != 0, "needs root to bind-mount a private /etc/hosts (unshare -m); .ci/run runs as root");
        _directory = Directory.CreateTempSubdirectory("uot-hosts-").FullName;
        File.WriteAllText(NsswitchPath, "hosts: files\n");
        Write();
    }

    private string HostsPath => Path.Combine(_directory, "hosts");

    private string NsswitchPath => Path.Combine(_directory, "nsswitch.conf");

    /// <summary>Points <paramref name="name"/> at <paramref name="address"/> (or removes it: null).</summary>
    public void Set(string name, string? address)
    {
        lock (_entries)
        {
            if (address is null)
            {
                _entries.Remove(name);
            }
            else
            {
                _entries[name] = address;
            }

            Write();
        }
    }

    /// <summary>The command line that runs <paramref name="program"/> with this hosts file (the program keeps the PID of `unshare`).</summary>
    public string[] Wrap(string program, params string[] args) =>
    [
        "unshare", "-m", "sh", "-c",
        "h=$1; n=$2; shift 2; mount --bind \"$h\" /etc/hosts && mount --bind \"$n\" /etc/nsswitch.conf && exec \"$@\"",
        "sh", HostsPath, NsswitchPath, program, .. args,
    ];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void Write()
    {
        // Truncate and rewrite the same file: a new file (rename) would not be what the bind mount shows.
        using var stream = new FileStream(HostsPath, FileMode.OpenOrCreate, FileAccess.Write);
        stream.SetLength(0);
        using var writer = new StreamWriter(stream);
        writer.Write("127.0.0.1 localhost\n");
        foreach (var (name, address) in _entries)
        {
            writer.Write($"{address} {name}\n");
        }
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
