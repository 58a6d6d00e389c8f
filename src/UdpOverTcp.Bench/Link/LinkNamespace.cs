using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Tunnels;

namespace UdpOverTcp.Bench.Link;

/// <summary>
/// A network namespace of the bench's own (Linux, CAP_SYS_ADMIN), held by nothing but one file
/// descriptor of this process: no name in /run/netns, no process that holds it. A thread of the bench
/// unshares its network namespace, opens its /proc/thread-self/ns/net and ends; the descriptor keeps
/// the namespace. Others reach it through /proc/&lt;bench&gt;/fd/&lt;fd&gt; (<see cref="Path"/>):
/// nsenter for ip, tc and the tunnel ends, setns(2) for the bench's own sockets.
/// </summary>
/// <remarks>
/// Why it cannot outlive the bench: the kernel frees a namespace, with its interfaces (both ends of
/// a veth pair), when nothing refers to it any more: no process in it, no open descriptor of it, no
/// socket made in it. When the bench ends in any way, SIGKILL included, the kernel closes its
/// descriptors and sockets; the tunnel ends in the namespace get their parent-death signal
/// (<see cref="ChildTunnel"/>); ip and tc end by themselves within milliseconds. And a process
/// started by a bench that is killed before the process could ask for its parent-death signal
/// cannot get in: the path it would enter by is gone with the bench's descriptors, so nsenter fails.
/// Runs cannot collide: each has its own namespaces, so the same interface names and addresses
/// in another run are another run's.
/// </remarks>
public sealed class LinkNamespace : IDisposable
{
    private readonly SafeFileHandle _handle;

    private LinkNamespace(string name, SafeFileHandle handle)
    {
        Name = name;
        _handle = handle;
        Path = $"/proc/{Environment.ProcessId}/fd/{handle.DangerousGetHandle()}";
        Id = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget ?? "net:[?]";
    }

    /// <summary>What the report calls it: "X" or "Y".</summary>
    public string Name { get; }

    /// <summary>Where other processes find it while the bench runs: /proc/&lt;pid&gt;/fd/&lt;fd&gt;.</summary>
    public string Path { get; }

    /// <summary>The kernel's name for it, e.g. "net:[4026532319]" (as /proc/*/ns/net links show).</summary>
    public string Id { get; }

    /// <summary>Makes a new network namespace, with its loopback up.</summary>
    public static LinkNamespace Create(string name, string nsenter, string ip)
    {
        var handle = OnThread(() =>
        {
            if (LinuxCalls.Unshare(LinuxCalls.CLONE_NEWNET) != 0)
            {
                throw new BenchException($"cannot make a network namespace: unshare: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            return File.OpenHandle("/proc/thread-self/ns/net");
        });
        var created = new LinkNamespace(name, handle);
        try
        {
            created.Run(nsenter, ip, "link", "set", "lo", "up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="create"/> on a thread that has entered this namespace: sockets it makes live here, and work from any thread.</summary>
    public T Enter<T>(Func<T> create) => OnThread(() =>
    {
        if (LinuxCalls.SetNs((int)_handle.DangerousGetHandle(), LinuxCalls.CLONE_NEWNET) != 0)
        {
            throw new BenchException($"cannot enter network namespace {Name}: setns: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return create();
    });

    /// <summary>The command line that runs <paramref name="program"/> in this namespace, through nsenter.</summary>
    public (string Program, string[] Args) Wrap(string nsenter, string program, IEnumerable<string> args) =>
        (nsenter, ["--net=" + Path, "--", program, .. args]);

    /// <summary>Runs a command in this namespace to completion and returns its stdout.</summary>
    public string Run(string nsenter, string program, params string[] args)
    {
        var (wrapped, wrappedArgs) = Wrap(nsenter, program, args);
        return HostCommand.Run(wrapped, wrappedArgs);
    }

    /// <summary>Lets go of the namespace: the kernel frees it once nothing else is in it.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own that ends with it: a thread that changed its
    /// network namespace must never run anything else.
    /// </summary>
    private static T OnThread<T>(Func<T> work)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "bench namespace",
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }
}
