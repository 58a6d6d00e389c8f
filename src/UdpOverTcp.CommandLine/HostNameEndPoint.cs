using System.Net;


namespace UdpOverTcp.CommandLine;

/// <summary>
/// A host name and a port, as --tcp-connect, --udp-sendto and --proxy take them; resolved by
/// the tunnel's <c>Resolver</c> (or, through a proxy, by the proxy). Not System.Net.DnsEndPoint:
/// a program that makes DnsEndPoints keeps Socket.Connect's own name resolution, and with it System.Net.Dns,
/// in the Native AOT binary, about 20 KB this program resolves names without.
/// </summary>
public sealed class HostNameEndPoint(string host, int port) : EndPoint
{
    public string Host { get; } = host;

    public int Port { get; } = port;

    public override bool Equals(object? obj) => obj is HostNameEndPoint other && other.Host == Host && other.Port == Port;

    public override int GetHashCode() => HashCode.Combine(Host, Port);

    /// <summary>"host:port".</summary>
    public override string ToString() => $"{Host}:{Port}";
}
