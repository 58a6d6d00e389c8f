using System.Net;
using System.Net.Sockets;
using System.Text;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>
/// The --link bench's building blocks, in process: a network namespace held by one descriptor of
/// this process, and the shaped veth link between two of them. Root only (CI runs as root).
/// </summary>
[EndToEndTest]
[NeedsRoot]
public class ShapedLinkTests
{
    [SkippableFact]
    public void A_namespace_is_held_by_one_descriptor_of_this_process_and_has_its_own_loopback()
    {
        var tools = RootTools();
        string id;
        using (var inside = LinkNamespace.Create("T", tools.Nsenter, tools.Ip))
        {
            id = inside.Id;
            Assert.Matches(@"^net:\[\d+\]$", id);
            Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, id);
            Assert.Equal(id, new FileInfo(inside.Path).LinkTarget);

            // Its own loopback, up: the port a socket holds here is free there.
            using var here = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            here.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var there = inside.Enter(() =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(here.LocalEndPoint!);
                return socket;
            });
            Assert.Equal(here.LocalEndPoint, there.LocalEndPoint);
        }

        // Let go of: no descriptor of this process refers to it any more.
        Assert.DoesNotContain(id, Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget));
    }

    [SkippableFact]
    public void The_link_carries_udp_from_x_to_y_through_the_shaper_and_names_its_owner()
    {
        var tools = RootTools();
        using var link = ShapedLink.Create(LinkRate.Parse("20mbit"), tools);
        Assert.Equal("tbf rate 20mbit burst 64kb latency 20ms", link.Qdisc);
        Assert.Contains("rate 20Mbit burst 64Kb lat 20ms", link.QdiscShown);
        Assert.Matches("^[a-z0-9_]+$", link.CongestionControl);
        Assert.Contains($"alias udp-over-tcp-bench {Environment.ProcessId}", link.X.Run(tools.Nsenter, tools.Ip, "-o", "link", "show", "vx"));
        Assert.Contains($"alias udp-over-tcp-bench {Environment.ProcessId}", link.Y.Run(tools.Nsenter, tools.Ip, "-o", "link", "show", "vy"));

        using var receiver = link.Y.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.ReceiverAddress, 0)));
        using var sender = link.X.Enter(() => BenchPath.Bind(new IPEndPoint(ShapedLink.SenderAddress, 0)));
        receiver.ReceiveTimeout = 5000;
        sender.SendTo("across"u8, receiver.LocalEndPoint!);
        var buffer = new byte[100];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = receiver.ReceiveFrom(buffer, ref from);
        Assert.Equal("across", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(sender.LocalEndPoint, from);
    }

    private static LinkTools RootTools()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "needs root on Linux to build network namespaces; .ci/run runs as root");
        return LinkTools.Find();
    }
}
