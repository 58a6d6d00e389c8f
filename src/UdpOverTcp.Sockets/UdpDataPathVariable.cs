namespace UdpOverTcp.Sockets;

/// <summary>The environment variable that picks the tunnel's <see cref="UdpDataPath"/>: the bench sets it for the tunnels it runs.</summary>
public static class UdpDataPathVariable
{
    public const string Name = "UDP_OVER_TCP_IO";

    /// <summary>Its value for <paramref name="path"/>.</summary>
    public static string ValueOf(UdpDataPath path) => path switch
    {
        UdpDataPath.Batched => "batched",
        UdpDataPath.Portable => "portable",
        _ => "auto",
    };
}
