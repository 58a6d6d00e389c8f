using UdpOverTcp.Host;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests;

/// <summary>sd_notify against a socket of the test's own, as systemd would bind it.</summary>
[InProcessTest]
public class SystemdNotifyTests
{
    [Theory]
    [InlineData(false)]   // a path, as systemd's /run/systemd/notify
    [InlineData(true)]    // an @abstract name
    public async Task Ready_sends_ready_and_the_status_line_in_one_datagram(bool abstractName)
    {
        using var socket = new NotifySocket(abstractName);
        var notify = new SystemdNotify(socket.Address);
        Assert.True(notify.IsEnabled);

        notify.Ready("listening on tcp 127.0.0.1:7878, udp 127.0.0.1:5001 -> 127.0.0.1:5000");

        string message = await socket.WaitForAsync("READY=1");
        Assert.Equal("READY=1\nSTATUS=listening on tcp 127.0.0.1:7878, udp 127.0.0.1:5001 -> 127.0.0.1:5000", message);
    }

    [Fact]
    public async Task Stopping_follows_ready_and_a_status_is_kept_on_one_line()
    {
        using var socket = new NotifySocket();
        var notify = new SystemdNotify(socket.Address);

        notify.Ready("two\nlines");
        notify.Stopping();

        await socket.WaitForAsync("STOPPING=1");
        Assert.Equal(["READY=1\nSTATUS=two lines", "STOPPING=1\nSTATUS=stopping"], socket.Messages);
    }

    [Fact]
    public async Task Ready_after_stopping_is_not_sent()
    {
        using var socket = new NotifySocket();
        var notify = new SystemdNotify(socket.Address);

        notify.Stopping();   // a stop signal during start-up
        notify.Ready("too late");
        notify.Send("STATUS=sentinel");   // sent after both, so once it is here the READY=1 would have been too

        await socket.WaitForAsync("STATUS=sentinel");
        Assert.Equal(["STOPPING=1\nSTATUS=stopping", "STATUS=sentinel"], socket.Messages);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("@")]                        // no name after the @
    [InlineData("relative/notify")]          // sd_notify takes an absolute path or an @name only
    [InlineData("vsock:2:1234")]             // newer systemd's vsock form, which this does not speak
    public void Without_a_usable_NOTIFY_SOCKET_nothing_is_sent(string? address)
    {
        var notify = new SystemdNotify(address);

        Assert.False(notify.IsEnabled);
        Assert.False(notify.Send("READY=1"));
        notify.Ready("ignored");
        notify.Stopping();
    }

    [Fact]
    public void A_socket_nobody_listens_on_fails_quietly_once_and_is_not_tried_again()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"uot-no-such-notify-{Guid.NewGuid():N}");
        var notify = new SystemdNotify(missing);
        Assert.True(notify.IsEnabled);

        notify.Ready("up");   // must not throw

        Assert.False(notify.IsEnabled);
        Assert.False(notify.Send("STOPPING=1"));
    }

    [Fact]
    public void A_path_too_long_for_a_unix_socket_is_refused_without_an_exception()
    {
        var notify = new SystemdNotify("/" + new string('x', 200));

        Assert.False(notify.IsEnabled);
    }
}
