namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Waits for a state that has no event of its own (a counter reaching a value). Polls, but the
/// outcome never depends on timing: it returns as soon as the state holds, fails only at the guard.
/// </summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up after {Guard.Timeout.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }
}
