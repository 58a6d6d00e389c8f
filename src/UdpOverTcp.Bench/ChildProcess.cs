using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;

namespace UdpOverTcp.Bench;

/// <summary>
/// A child process whose stderr lines are collected, so the bench can wait for the log line that
/// says a state was reached ("listening on", "link up") instead of sleeping, and quote the last
/// lines when the child fails. Killed on dispose.
/// </summary>
/// <remarks>
/// Started with posix_spawn rather than System.Diagnostics.Process, which costs the AOT binary some
/// 360 KB for what the bench needs here: a pipe for stderr, one for stdin (the child sees end of file
/// on it when this process ends, even by SIGKILL), /dev/null for stdout, kill and waitpid. Linux and macOS (where pipe2 is missing: see <see cref="Spawn"/>); on Windows the bench
/// cannot start tunnels (use --external). The child's CPU time comes from /proc, so on macOS it is unknown.
/// </remarks>
internal sealed unsafe partial class ChildProcess : IDisposable
{
    /// <summary>Lines kept for error messages; the children log per link event, not per datagram, so this is plenty.</summary>
    private const int MaxLines = 200;

    /// <summary>How long Dispose waits for the killed child to be reaped, and for its stderr to reach end of file.</summary>
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(5);

    private readonly List<string> _lines = [];
    private readonly string _name;
    private readonly Thread _reader;
    private readonly int _stdinWrite;
    private readonly Lock _reapLock = new();

    /// <summary>The waitpid status once the child has been reaped; null while it runs.</summary>
    private int? _status;

    /// <summary>Set by the reader thread at end of file on the child's stderr (guarded by <see cref="_lines"/>).</summary>
    private bool _stderrClosed;

    private TimeSpan? _lastCpuTime;
    private bool _disposed;

    public ChildProcess(string name, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        _name = name;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new BenchException("the bench cannot start the tunnels on this OS: start both tunnel ends yourself and run udp-over-tcp-bench --external SEND_ADDR RECV_ADDR (see its --help)");
        }

        var stderr = CreatePipe();
        var stdin = CreatePipe();
        try
        {
            Id = Spawn(program, [program, .. args], ChildEnvironment(environment), stdin.Read, stderr.Write);
        }
        catch
        {
            _ = Close(stderr.Read);
            _ = Close(stderr.Write);
            _ = Close(stdin.Read);
            _ = Close(stdin.Write);
            throw;
        }

        // The child has its own copy of the write end: once it exits, the read end sees end of file.
        _ = Close(stderr.Write);
        // And the other way round: the child's stdin sees end of file once this process ends, however
        // it ends (SIGKILL included), because only this process holds the write end (close-on-exec).
        _ = Close(stdin.Read);
        _stdinWrite = stdin.Write;
        _reader = new Thread(() => ReadLines(stderr.Read)) { IsBackground = true, Name = $"{name} tunnel stderr" };
        _reader.Start();
    }

    /// <summary>The child's process id.</summary>
    public int Id { get; }

    /// <summary>User + system time the child has used so far; null where the OS does not tell (macOS).</summary>
    public TimeSpan? CpuTime
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            // Once reaped, /proc/<pid> is gone (or, later, another process's): the last reading stands.
            lock (_reapLock)
            {
                if (_status is null && ReadCpuTime(Id) is { } cpu)
                {
                    _lastCpuTime = cpu;
                }

                return _lastCpuTime;
            }
        }
    }

    /// <summary>Returns the first stderr line containing <paramref name="text"/>; throws <see cref="BenchException"/> if none comes in time.</summary>
    public string WaitForLine(string text, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_lines)
        {
            while (true)
            {
                foreach (string line in _lines)
                {
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }

                // An exited child may still have lines in the pipe: it has finished once they are read too.
                long left = deadline - Stopwatch.GetTimestamp();
                bool exited = HasExited();
                if (left <= 0 || (exited && _stderrClosed))
                {
                    string what = exited ? ExitDescription() : $"said no '{text}' within {timeout.TotalSeconds:0} s";
                    string said = _lines.Count == 0 ? "nothing" : string.Join(" | ", _lines.GetRange(Math.Max(0, _lines.Count - 3), Math.Min(3, _lines.Count)));
                    throw new BenchException($"the {_name} tunnel {what}; it said: {said}");
                }

                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(100, left * 1000.0 / Stopwatch.Frequency)));
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!HasExited())
        {
            _ = Kill(Id, SIGKILL);
            long deadline = Stopwatch.GetTimestamp() + (long)(ReapTimeout.TotalSeconds * Stopwatch.Frequency);
            while (!HasExited() && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(1);
            }
        }

        // The reader stops at end of file, which the child's death brings: the kernel closes its fd 2.
        _ = _reader.Join(ReapTimeout);
        _ = Close(_stdinWrite);
    }

    /// <summary>Reaps the child if it has exited, without waiting; true once it has.</summary>
    private bool HasExited()
    {
        lock (_reapLock)
        {
            if (_status is not null)
            {
                return true;
            }

            int status;
            int result;
            do
            {
                result = WaitPid(Id, &status, WNOHANG);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (result == Id)
            {
                _status = status;
            }
            else if (result < 0)
            {
                // ECHILD: already reaped by someone else (the .NET runtime reaps every child itself when
                // SIGCHLD was ignored at start-up); the exit status is lost, the child is gone.
                _status = -1;
            }

            return _status is not null;
        }
    }

    private string ExitDescription()
    {
        int status = _status ?? -1;
        if (status == -1)
        {
            return "exited";
        }

        int signal = status & 0x7f;
        return signal == 0
            ? $"exited with code {(status >> 8) & 0xff}"
            : $"was killed by signal {signal}";
    }

    /// <summary>
    /// Reads the child's stderr to end of file, a line at a time, then closes it. With read(2) rather
    /// than a FileStream and StreamReader, which would cost the binary their code (and, through
    /// TextReader.ReadLine, the console's interactive line editor).
    /// </summary>
    private void ReadLines(int fd)
    {
        byte[] buffer = new byte[MaxLineBytes];
        int filled = 0;
        try
        {
            while (true)
            {
                nint read;
                fixed (byte* free = &buffer[filled])
                {
                    read = Read(fd, free, (nuint)(buffer.Length - filled));
                }

                if (read < 0 && Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                if (read <= 0)
                {
                    break;
                }

                filled += (int)read;
                int start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
                {
                    AddLine(buffer.AsSpan(start, newline));
                    start += newline + 1;
                }

                if (start == 0 && filled == buffer.Length)
                {
                    // A line longer than the buffer: kept in pieces.
                    AddLine(buffer);
                    start = filled;
                }

                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }

            if (filled > 0)
            {
                AddLine(buffer.AsSpan(0, filled));
            }
        }
        finally
        {
            _ = Close(fd);
            lock (_lines)
            {
                _stderrClosed = true;
                Monitor.PulseAll(_lines);
            }
        }
    }

    private void AddLine(ReadOnlySpan<byte> bytes)
    {
        string line = Encoding.UTF8.GetString(bytes.TrimEnd((byte)'\r'));
        lock (_lines)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.RemoveAt(0);
            }

            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>This process's environment with <paramref name="extra"/> added or replaced, as "NAME=value" strings.</summary>
    private static List<string> ChildEnvironment(IReadOnlyDictionary<string, string> extra)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        foreach (var (key, value) in extra)
        {
            variables[key] = value;
        }

        var list = new List<string>(variables.Count);
        foreach (var (key, value) in variables)
        {
            list.Add($"{key}={value}");
        }

        return list;
    }

    /// <summary>Both ends close-on-exec: the child gets only the write end, as its fd 2, through the file actions.</summary>
    private static (int Read, int Write) CreatePipe()
    {
        int* fds = stackalloc int[2];
        int result = OperatingSystem.IsLinux() ? Pipe2(fds, O_CLOEXEC_LINUX) : Pipe(fds);   // macOS has no pipe2: see Spawn
        if (result != 0)
        {
            throw new BenchException($"cannot create a pipe for a tunnel's log: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return (fds[0], fds[1]);
    }

    /// <summary>posix_spawn with stdin on <paramref name="stdin"/>, stdout on /dev/null and stderr on <paramref name="stderr"/>; returns the pid.</summary>
    private static int Spawn(string program, List<string> argv, List<string> envp, int stdin, int stderr)
    {
        // The file actions, the attributes and the signal set are opaque and differ by libc (glibc's
        // attributes are 336 bytes, macOS's one pointer): room to spare, aligned for anything they hold.
        void* actions = NativeMemory.AlignedAlloc(OpaqueSize, 16);
        void* attributes = NativeMemory.AlignedAlloc(OpaqueSize, 16);
        void* signals = NativeMemory.AlignedAlloc(OpaqueSize, 16);
        byte* path = null;
        byte** argvNative = null;
        byte** envpNative = null;
        bool actionsMade = false;
        bool attributesMade = false;
        try
        {
            NativeMemory.Clear(actions, OpaqueSize);
            NativeMemory.Clear(attributes, OpaqueSize);
            NativeMemory.Clear(signals, OpaqueSize);
            path = Utf8StringMarshaller.ConvertToUnmanaged(program);
            argvNative = ToNative(argv);
            envpNative = ToNative(envp);

            Check(FileActionsInit(actions), "posix_spawn_file_actions_init");
            actionsMade = true;
            fixed (byte* devNull = "/dev/null\0"u8)
            {
                // addopen copies the path (glibc, musl, macOS), so it need not outlive this block.
                Check(FileActionsAddOpen(actions, 1, devNull, O_WRONLY, 0), "posix_spawn_file_actions_addopen");
            }

            Check(FileActionsAddDup2(actions, stdin, 0), "posix_spawn_file_actions_adddup2");
            Check(FileActionsAddDup2(actions, stderr, 2), "posix_spawn_file_actions_adddup2");

            // The runtime ignores SIGPIPE, and an ignored signal stays ignored across exec: give the
            // child the default back, and an empty signal mask.
            Check(SpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesMade = true;
            short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
            if (OperatingSystem.IsMacOS())
            {
                // Without pipe2 the pipe is not close-on-exec: close everything but 0, 1 and 2 in the child.
                flags |= POSIX_SPAWN_CLOEXEC_DEFAULT_MACOS;
            }

            Check(SpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");
            _ = SigEmptySet(signals);
            Check(SpawnAttrSetSigMask(attributes, signals), "posix_spawnattr_setsigmask");
            _ = SigAddSet(signals, SIGPIPE);
            Check(SpawnAttrSetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault");

            int pid;
            int error = PosixSpawn(&pid, path, actions, attributes, argvNative, envpNative);
            if (error != 0)
            {
                throw new BenchException($"cannot start {program}: {Marshal.GetPInvokeErrorMessage(error)}");
            }

            return pid;
        }
        finally
        {
            if (actionsMade)
            {
                _ = FileActionsDestroy(actions);
            }

            if (attributesMade)
            {
                _ = SpawnAttrDestroy(attributes);
            }

            FreeNative(envpNative);
            FreeNative(argvNative);
            Utf8StringMarshaller.Free(path);
            NativeMemory.AlignedFree(signals);
            NativeMemory.AlignedFree(attributes);
            NativeMemory.AlignedFree(actions);
        }

        static void Check(int error, string call)
        {
            if (error != 0)
            {
                throw new BenchException($"cannot start a tunnel: {call}: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
    }

    /// <summary>A null-terminated array of null-terminated UTF-8 strings.</summary>
    private static byte** ToNative(List<string> strings)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(byte*));
        for (int i = 0; i < strings.Count; i++)
        {
            array[i] = Utf8StringMarshaller.ConvertToUnmanaged(strings[i]);
        }

        return array;
    }

    private static void FreeNative(byte** array)
    {
        if (array is null)
        {
            return;
        }

        for (byte** item = array; *item is not null; item++)
        {
            Utf8StringMarshaller.Free(*item);
        }

        NativeMemory.Free(array);
    }

    /// <summary>utime + stime, fields 14 and 15 of /proc/&lt;pid&gt;/stat, in clock ticks; null if unreadable.</summary>
    private static TimeSpan? ReadCpuTime(int pid) =>
        SystemFile.TryRead($"/proc/{pid}/stat") is { } stat && ParseCpuTicks(stat) is { } ticks && ClockTicksPerSecond() is > 0 and var perSecond
            ? TimeSpan.FromSeconds(ticks / (double)perSecond)
            : null;

    /// <summary>
    /// utime + stime from a /proc/&lt;pid&gt;/stat line. Field 2 is the command name in parentheses and may
    /// hold spaces and parentheses itself, so fields are counted from after its last ')': field 3 first.
    /// </summary>
    internal static long? ParseCpuTicks(string stat)
    {
        int end = stat.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }

        string[] fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int Utime = 14 - 3;
        const int Stime = 15 - 3;
        return fields.Length > Stime
            && long.TryParse(fields[Utime], NumberStyles.None, CultureInfo.InvariantCulture, out long user)
            && long.TryParse(fields[Stime], NumberStyles.None, CultureInfo.InvariantCulture, out long system)
            ? user + system
            : null;
    }

    private static long ClockTicksPerSecond() => s_clockTicks ??= SysConf(SC_CLK_TCK_LINUX);

    private static long? s_clockTicks;

    /// <summary>The longest stderr line kept whole; the tunnels' are under 200 bytes.</summary>
    private const int MaxLineBytes = 4096;

    private const nuint OpaqueSize = 512;
    private const int O_CLOEXEC_LINUX = 0x80000;
    private const int O_WRONLY = 1;
    private const int WNOHANG = 1;
    private const int EINTR = 4;
    private const int SIGKILL = 9;
    private const int SIGPIPE = 13;
    private const int SC_CLK_TCK_LINUX = 2;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04;
    private const short POSIX_SPAWN_SETSIGMASK = 0x08;
    private const short POSIX_SPAWN_CLOEXEC_DEFAULT_MACOS = 0x4000;

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
    private static partial int Pipe(int* fds);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int FileActionsInit(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int FileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int SpawnAttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int SpawnAttrSetSigMask(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int SpawnAttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int SpawnAttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static partial int SigEmptySet(void* signals);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    private static partial int SigAddSet(void* signals, int signal);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial nint SysConf(int name);
}
