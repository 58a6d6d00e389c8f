using UdpOverTcp.Host;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests;

[UnitTest]
public sealed class TunnelThreadsTests
{
    [Fact]
    public async Task Run_names_a_background_thread_of_its_own_and_returns_what_it_returns()
    {
        int caller = Environment.CurrentManagedThreadId;
        var (name, background, id) = await TunnelThreads.Run(TunnelThreads.LinkSetup,
            () => (Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground, Environment.CurrentManagedThreadId));
        Assert.Equal(TunnelThreads.LinkSetup, name);
        Assert.True(background);
        Assert.NotEqual(caller, id);
    }

    [Fact]
    public async Task Run_ends_the_task_with_what_the_body_throws()
    {
        var run = TunnelThreads.Run(TunnelThreads.Accept, () => throw new OperationCanceledException("deadline"));
        var e = await Assert.ThrowsAsync<OperationCanceledException>(() => run);
        Assert.Equal("deadline", e.Message);
        Assert.True(run.IsFaulted);   // as a LongRunning task's was: faulted, not cancelled
    }

    [Fact]
    public void Every_name_fits_in_what_Linux_keeps_of_it_and_they_stay_distinct()
    {
        string[] names = [TunnelThreads.UdpToTcp, TunnelThreads.TcpToUdp, TunnelThreads.SendWait, TunnelThreads.Accept, TunnelThreads.LinkSetup];
        Assert.All(names, name => Assert.InRange(name.Length, 1, 15));
        Assert.Equal(names.Length, names.Distinct().Count());
    }
}
