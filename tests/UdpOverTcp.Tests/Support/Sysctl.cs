namespace UdpOverTcp.Tests.Support;

/// <summary>A Linux kernel setting read from /proc/sys, e.g. "net/core/rmem_max".</summary>
public static class Sysctl
{
    public static long Read(string name) => long.Parse(File.ReadAllText($"/proc/sys/{name}").Trim());
}
