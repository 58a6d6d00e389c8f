namespace UdpOverTcp.Tests.Support;

/// <summary>What the tunnel's lines say of a live loopback link's TCP (KernelFigures), as a regular expression: one place for the tests that look for it.</summary>
public static class KernelFiguresPattern
{
    /// <summary>"rtt 0.04 ms (min 0.03) cwnd 10 retrans 0 unsent 0 B": loopback loses nothing and leaves nothing unsent for long.</summary>
    public const string Loopback = @"rtt \d+\.\d+ ms \(min \d+\.\d+\) cwnd \d+ retrans \d+ unsent \d+ B";
}
