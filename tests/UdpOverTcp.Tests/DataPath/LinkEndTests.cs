using System.Net.Sockets;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath;

/// <summary>The log lines say what they said when the reasons were strings; the logic reads the kind.</summary>
[UnitTest]
public sealed class LinkEndTests
{
    [Fact]
    public void Each_end_has_its_kind_and_the_text_of_the_log_lines()
    {
        Assert.Equal((LinkEndKind.Closed, "closed"), (LinkEnd.Closed.Kind, LinkEnd.Closed.Text));
        Assert.Equal((LinkEndKind.ClosedByPeer, "closed by peer"), (LinkEnd.ClosedByPeer.Kind, LinkEnd.ClosedByPeer.Text));
        Assert.Equal((LinkEndKind.ShuttingDown, "shutting down"), (LinkEnd.ShuttingDown.Kind, LinkEnd.ShuttingDown.Text));
        var replaced = LinkEnd.Replaced("127.0.0.1:41000");
        Assert.Equal((LinkEndKind.Replaced, "replaced by 127.0.0.1:41000"), (replaced.Kind, replaced.Text));
        Assert.Equal("send side closed", LinkEnd.Failed("send side closed").ToString());
    }

    [Fact]
    public void A_socket_error_becomes_the_same_text_as_before()
    {
        Assert.Equal("reset by peer", LinkEnd.Of(new SocketException((int)SocketError.ConnectionReset)).Text);
        Assert.Equal("timed out", LinkEnd.Of(new SocketException((int)SocketError.TimedOut)).Text);
        Assert.Same(LinkEnd.Closed, LinkEnd.Of(new SocketException((int)SocketError.OperationAborted)));
        Assert.Equal(LinkEndKind.Failed, LinkEnd.Of(new SocketException((int)SocketError.HostUnreachable)).Kind);
    }
}
