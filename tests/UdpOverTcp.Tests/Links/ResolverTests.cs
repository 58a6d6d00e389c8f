using System.Net;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Links.Connect;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

/// <summary>The resolver's own getaddrinfo call (the Linux builds' only resolver); names from /etc/hosts only, no DNS traffic.</summary>
[UnitTest]
[NeedsLinux]
public sealed class ResolverTests
{
    [SkippableFact]
    public void Localhost_resolves_through_getaddrinfo_to_loopback_without_duplicates()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var addresses = Resolver.GetAddrInfo("localhost");
        Assert.Contains(IPAddress.Loopback, addresses);
        Assert.Equal(addresses.Length, addresses.Distinct().Count());
    }

    [Fact]
    public void An_address_is_its_own_resolution() =>
        Assert.Equal([IPAddress.Parse("192.0.2.1")], Resolver.Resolve(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 1)));

    [Fact]
    public void Udp_sendto_takes_the_address_family_the_bound_socket_can_reach()
    {
        var name = new HostNameEndPoint("localhost", 5000);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5000), Resolver.ResolveForUdp(name, new IPEndPoint(IPAddress.Any, 0)));
    }
}
