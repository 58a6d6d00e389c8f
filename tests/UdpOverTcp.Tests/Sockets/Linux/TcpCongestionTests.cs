using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Sockets.Linux;

/// <summary>
/// --congestion on the sockets the tunnel makes, read back with getsockopt(TCP_CONGESTION): the connect
/// side's dialed socket, and the connection the listen side accepts (which Linux gives its listener's).
/// cubic, because the tests' kernels default to cubic or bbr and have both; as root any available one may be set.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[InProcessTest]
[NeedsLinux]
public sealed class TcpCongestionTests
{
    private const string Wanted = "cubic";

    [SkippableFact]
    public void Both_ends_of_a_link_use_the_congestion_control_asked_for()
    {
        SkipUnlessSettable(Wanted);
        var listenOptions = new TunnelOptions { Role = TcpRole.Listen, TcpEndpoint = new IPEndPoint(IPAddress.Loopback, 0), Congestion = Wanted };
        var listener = Assert.Single(SocketSetup.ListenAll(listenOptions));
        using (listener)
        {
            var connectOptions = new TunnelOptions { Role = TcpRole.Connect, TcpEndpoint = (IPEndPoint)listener.LocalEndPoint!, Congestion = Wanted };
            using var dialed = SocketSetup.NewTcp(AddressFamily.InterNetwork, connectOptions);
            Assert.Equal(Wanted, TcpCongestion.Read(dialed));   // before connecting: the SYN already goes out with it
            listener.Blocking = true;
            dialed.Connect(listener.LocalEndPoint!);
            using var accepted = listener.Accept();

            Assert.Equal(Wanted, TcpCongestion.Read(dialed));
            Assert.Equal(Wanted, TcpCongestion.Read(accepted));
        }
    }

    [Fact]
    public void Without_the_option_a_socket_keeps_the_system_default()
    {
        string systemDefault = File.ReadAllText("/proc/sys/net/ipv4/tcp_congestion_control").Trim();
        using var dialed = SocketSetup.NewTcp(AddressFamily.InterNetwork, new TunnelOptions { Role = TcpRole.Connect });
        Assert.Equal(systemDefault, TcpCongestion.Read(dialed));
    }

    [Fact]
    public void A_name_the_kernel_lacks_fails_the_start_up_check_naming_what_it_has()
    {
        var error = Assert.Throws<UsageException>(() => TcpCongestion.Check("nosuchcc"));
        string available = File.ReadAllText("/proc/sys/net/ipv4/tcp_available_congestion_control").Trim();
        Assert.Equal(
            $"--congestion nosuchcc: this kernel has no such TCP congestion control (available: {available}; see /proc/sys/net/ipv4/tcp_available_congestion_control)",
            error.Message);
    }

    private static void SkipUnlessSettable(string name)
    {
        string allowed = File.ReadAllText("/proc/sys/net/ipv4/tcp_allowed_congestion_control");
        string available = File.ReadAllText("/proc/sys/net/ipv4/tcp_available_congestion_control");
        Skip.IfNot(available.Split(' ', '\n').Contains(name), $"this kernel has no {name}");
        Skip.IfNot(Environment.IsPrivilegedProcess || allowed.Split(' ', '\n').Contains(name), $"{name} is not allowed to non-root users here");
    }
}
