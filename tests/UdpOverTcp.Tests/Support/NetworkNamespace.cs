using System.Runtime.InteropServices;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// A network namespace of the test's own (`ip netns add`): a "host" with its own loopback, so two
/// hosts can bind the same ports as in the README. Needs root and iproute2, as CI has; without root
/// the test is skipped with that reason (its test must be a [SkippableFact]), never passed.
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private static int s_counter;

    /// <exception cref="SkipException">Not root: network namespaces cannot be made here (CI runs as root).</exception>
    public NetworkNamespace(string role)
    {
        Skip.If(GetEffectiveUserId() != 0, "needs root to create network namespaces (ip netns); .ci/run runs as root");
        Name = $"uot-{role}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        Run("ip", "netns", "add", Name);
        Run("ip", "netns", "exec", Name, "ip", "link", "set", "lo", "up");
    }

    public string Name { get; }

    /// <summary>The command line that runs <paramref name="program"/> inside this namespace.</summary>
    public string[] Wrap(string program, params string[] args) => ["ip", "netns", "exec", Name, program, .. args];

    /// <summary>
    /// Runs <paramref name="create"/> on a thread that has joined this namespace, so sockets it creates
    /// live there; the sockets then work from any thread.
    /// </summary>
    public T Create<T>(Func<T> create)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = create();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? result : throw new InvalidOperationException($"in namespace {Name}: {error.Message}", error);
    }

    /// <summary>
    /// Silences (or restores) TCP port <paramref name="port"/> on this host's loopback with an nftables
    /// rule that drops its packets both ways: the peer vanishes without a FIN or a reset, as when it
    /// loses power or a NAT forgets the flow.
    /// </summary>
    public void SilenceTcpPort(int port, bool silent)
    {
        if (!silent)
        {
            Run("ip", "netns", "exec", Name, "nft", "delete", "table", "inet", "silence");
            return;
        }

        Run("ip", "netns", "exec", Name, "nft", "add", "table", "inet", "silence");
        Run("ip", "netns", "exec", Name, "nft", "add", "chain", "inet", "silence", "out", "{ type filter hook output priority 0; }");
        Run("ip", "netns", "exec", Name, "nft", "add", "rule", "inet", "silence", "out", "tcp", "dport", port.ToString(), "drop");
        Run("ip", "netns", "exec", Name, "nft", "add", "rule", "inet", "silence", "out", "tcp", "sport", port.ToString(), "drop");
    }

    public void Dispose() => Run("ip", "netns", "del", Name);

    private static void Run(string program, params string[] args) => Command.RunChecked("these tests need root, iproute2 and nftables", program, args);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
