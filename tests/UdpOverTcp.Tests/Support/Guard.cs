namespace UdpOverTcp.Tests.Support;

/// <summary>
/// An upper bound on waiting for an event that should happen, so a broken build fails a test
/// instead of hanging CI. Never a performance threshold: it is far above any healthy run.
/// </summary>
public static class Guard
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Task Within(this Task task, string what) => Wrap(task, what);

    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        await Wrap(task, what);
        return await task;
    }

    private static async Task Wrap(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"gave up after {Timeout.TotalSeconds} s waiting for: {what}");
        }
    }
}
