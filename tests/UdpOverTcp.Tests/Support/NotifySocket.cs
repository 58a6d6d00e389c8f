using System.Net.Sockets;
using System.Text;

namespace UdpOverTcp.Tests.Support;

/// <summary>
/// What systemd does for a <c>Type=notify</c> service, for a test: a bound unix datagram socket whose
/// address goes to the child as <c>NOTIFY_SOCKET</c>, collecting the notifications it sends
/// (<c>READY=1\nSTATUS=...</c>), so a test awaits readiness instead of a log line. A path in a temp
/// folder of its own by default (it works from inside a network namespace too); an abstract name
/// (<c>@...</c>, per network namespace) when asked.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private static int s_counter;

    private readonly Socket _socket;
    private readonly string? _directory;
    private readonly List<string> _messages = [];
    private readonly Task _receiving;
    private TaskCompletionSource _newMessage = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NotifySocket(bool abstractName = false)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            if (abstractName)
            {
                string name = $"uot-notify-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid():N}";
                _socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
                Address = "@" + name;
            }
            else
            {
                _directory = Directory.CreateTempSubdirectory("uot-notify-").FullName;
                Address = Path.Combine(_directory, "notify");
                _socket.Bind(new UnixDomainSocketEndPoint(Address));
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        _receiving = ReceiveAsync();
    }

    /// <summary>The value for NOTIFY_SOCKET: a path, or "@name".</summary>
    public string Address { get; }

    /// <summary>The notifications received so far, each as sent ("READY=1\nSTATUS=...").</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The value of <paramref name="name"/> in one notification ("STATUS" in "READY=1\nSTATUS=x" is "x"); null if absent.</summary>
    public static string? ValueOf(string message, string name) =>
        message.Split('\n').Where(l => l.StartsWith(name + "=", StringComparison.Ordinal)).Select(l => l[(name.Length + 1)..]).LastOrDefault();

    /// <summary>
    /// Waits for the first notification that holds the line <paramref name="assignment"/> (e.g. "READY=1")
    /// and returns it whole; gives up when <paramref name="giveUp"/> completes (the process exited) or
    /// after <see cref="Guard.Timeout"/>, with what was received, and <paramref name="context"/>, in the message.
    /// </summary>
    public async Task<string> WaitForAsync(string assignment, Task? giveUp = null, Func<string>? context = null)
    {
        var deadline = Task.Delay(Guard.Timeout);
        while (true)
        {
            Task next;
            lock (_messages)
            {
                var found = _messages.FirstOrDefault(m => m.Split('\n').Contains(assignment));
                if (found is not null)
                {
                    return found;
                }

                next = _newMessage.Task;
            }

            var woke = await Task.WhenAny(giveUp is null ? [next, deadline] : [next, deadline, giveUp]);
            if (woke != next)
            {
                // The message may have come just before the process ended.
                lock (_messages)
                {
                    var found = _messages.FirstOrDefault(m => m.Split('\n').Contains(assignment));
                    if (found is not null)
                    {
                        return found;
                    }
                }

                string why = woke == deadline ? $"after {Guard.Timeout.TotalSeconds} s" : "before the process ended";
                throw new TimeoutException(
                    $"no notification {assignment} on {Address} {why}; received: [{string.Join(" | ", Messages.Select(m => m.Replace('\n', ' ')))}]"
                    + (context is null ? "" : "\n" + context()));
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        try
        {
            _receiving?.Wait(Guard.Timeout);
        }
        catch (AggregateException)
        {
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        while (true)
        {
            int length;
            try
            {
                length = await _socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;   // disposed
            }

            TaskCompletionSource woken;
            lock (_messages)
            {
                _messages.Add(Encoding.UTF8.GetString(buffer, 0, length));
                woken = _newMessage;
                _newMessage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            woken.TrySetResult();
        }
    }
}
