using UdpOverTcp.Sessions;
namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// One pump's own datagram counts, beside the tunnel's totals in <see cref="TunnelStats"/>: with
/// --multi-client a pump is one client's, and the log says what each client carried.
/// </summary>
public sealed class PumpCounts
{
    private long _fromApp;
    private long _toApp;

    /// <summary>Datagrams received on the UDP socket (UDP → TCP), admitted or not.</summary>
    public long FromApp => Interlocked.Read(ref _fromApp);

    /// <summary>Datagrams sent to --udp-sendto (TCP → UDP).</summary>
    public long ToApp => Interlocked.Read(ref _toApp);

    public void AddFromApp(int datagrams) => Interlocked.Add(ref _fromApp, datagrams);

    public void AddToApp(int datagrams) => Interlocked.Add(ref _toApp, datagrams);
}
