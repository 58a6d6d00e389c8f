namespace UdpOverTcp.Sessions;

/// <summary>
/// Tasks started and not awaited where they start (a link's run), awaited all at once at shutdown.
/// A list, not a set: a HashSet of tasks cost the binary 25 KB, and there are one or two at a time.
/// </summary>
public sealed class BackgroundTasks
{
    private readonly List<Task> _running = [];

    public void Track(Task task)
    {
        lock (_running)
        {
            _running.Add(task);
        }

        task.ContinueWith(static (done, state) =>
        {
            var running = (List<Task>)state!;
            lock (running)
            {
                running.Remove(done);
            }
        }, _running, TaskScheduler.Default);
    }

    /// <summary>Completes when every task tracked so far has ended.</summary>
    public Task WhenAll()
    {
        lock (_running)
        {
            return Task.WhenAll(_running.ToArray());
        }
    }
}
