using System.Net;
using System.Net.Sockets;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.DataPath.Udp;

/// <summary>
/// --udp-sendto as the pump uses it: the endpoint (IPv4-mapped when the bound socket is dual-mode
/// [::]), its text for log lines, and the counters of what was sent to it.
/// </summary>
public sealed class UdpDestination
{
    private readonly TunnelStats _stats;
    private readonly PumpCounts? _counts;

    public UdpDestination(Socket udp, IPEndPoint sendTo, TunnelStats stats, PumpCounts? counts = null)
    {
        _stats = stats;
        _counts = counts;
        // A dual-mode [::] socket reaches IPv4 destinations through their IPv4-mapped form.
        EndPoint = udp.AddressFamily == AddressFamily.InterNetworkV6 && sendTo.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(sendTo.Address.MapToIPv6(), sendTo.Port)
            : sendTo;
        Display = sendTo.ToString();
    }

    public IPEndPoint EndPoint { get; }

    public string Display { get; }

    public void CountSent(int datagrams, long bytes)
    {
        Interlocked.Add(ref _stats.UdpSent, datagrams);
        Interlocked.Add(ref _stats.UdpSentBytes, bytes);
        _counts?.AddToApp(datagrams);
        if (Log.IsEnabled(LogLevel.Trace))
        {
            Log.Trace($"tcp->udp {datagrams} datagram(s), {bytes} bytes");
        }
    }

    /// <summary>The destination is absent or unreachable: UDP semantics, the datagram is lost, the pump goes on.</summary>
    public void CountSendError(string error)
    {
        if (Interlocked.Increment(ref _stats.UdpSendErrors) == 1)
        {
            Log.Warn($"udp send to {Display} failed: {error} (further failures are only counted)");
        }
    }
}
