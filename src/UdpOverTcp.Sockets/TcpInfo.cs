using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Sockets;

/// <summary>
/// What the kernel knows about one TCP connection: the fields of struct tcp_info (linux/tcp.h) the
/// tunnel uses, read with getsockopt(TCP_INFO) into a stack buffer, so reading costs one system call
/// and no allocation (the tunnel's <c>UnsentBudget</c> reads it before every send). The struct only grows:
/// an older kernel copies fewer bytes, and a field past what it copied is unknown (null).
/// </summary>
[SupportedOSPlatform("linux")]
public readonly struct TcpInfo
{
    // Offsets in struct tcp_info; every field here has kept its place since it was added.
    private const int StateOffset = 0;              // u8 tcpi_state (TCP_ESTABLISHED = 1, ...)
    private const int CaStateOffset = 1;            // u8 tcpi_ca_state (0 open, 1 disorder, 2 cwr, 3 recovery, 4 loss)
    private const int RetransmitsOffset = 2;        // u8 tcpi_retransmits: of the segment now timing out
    private const int RtoOffset = 8;                // u32 tcpi_rto, µs
    private const int RttOffset = 68;               // u32 tcpi_rtt, µs (smoothed)
    private const int RttVarOffset = 72;            // u32 tcpi_rttvar, µs
    private const int CongestionWindowOffset = 80;  // u32 tcpi_snd_cwnd, segments
    private const int TotalRetransOffset = 100;     // u32 tcpi_total_retrans: segments sent again over the connection's life
    private const int PacingRateOffset = 104;       // u64 tcpi_pacing_rate, bytes/s (Linux 3.15)
    private const int BytesAckedOffset = 120;       // u64 tcpi_bytes_acked (Linux 4.1)
    private const int NotSentBytesOffset = 144;     // u32 tcpi_notsent_bytes (Linux 4.6)
    private const int MinRttOffset = 148;           // u32 tcpi_min_rtt, µs (Linux 4.6; its offset as of the 4.9 struct)
    private const int DeliveryRateOffset = 160;     // u64 tcpi_delivery_rate, bytes/s (Linux 4.9)

    /// <summary>The bytes asked for: up to the last field read here. A newer kernel copies no more than asked.</summary>
    public const int Length = DeliveryRateOffset + 8;

    /// <summary>From what the kernel copied (tests give it shorter structs, as older kernels copy).</summary>
    public TcpInfo(ReadOnlySpan<byte> info)
    {
        Copied = info.Length;
        State = info[StateOffset];
        CaState = info[CaStateOffset];
        Retransmits = info[RetransmitsOffset];
        Rto = U32(info, RtoOffset);
        Rtt = U32(info, RttOffset);
        RttVar = U32(info, RttVarOffset);
        CongestionWindow = U32(info, CongestionWindowOffset);
        TotalRetrans = U32(info, TotalRetransOffset);
        PacingRate = U64(info, PacingRateOffset);
        BytesAcked = U64(info, BytesAckedOffset);
        NotSentBytes = U32(info, NotSentBytesOffset);
        MinRtt = U32(info, MinRttOffset);
        DeliveryRate = U64(info, DeliveryRateOffset);
    }

    /// <summary>How many bytes the kernel copied: what it knows of the struct.</summary>
    public int Copied { get; }

    public byte State { get; }

    public byte CaState { get; }

    public byte Retransmits { get; }

    public uint? Rto { get; }

    /// <summary>Smoothed round-trip time, µs.</summary>
    public uint? Rtt { get; }

    public uint? RttVar { get; }

    /// <summary>The congestion window, in segments.</summary>
    public uint? CongestionWindow { get; }

    /// <summary>Segments retransmitted over the connection's life.</summary>
    public uint? TotalRetrans { get; }

    public ulong? PacingRate { get; }

    /// <summary>Bytes the peer acknowledged over the connection's life.</summary>
    public ulong? BytesAcked { get; }

    /// <summary>Bytes in the send buffer not sent yet.</summary>
    public uint? NotSentBytes { get; }

    /// <summary>The least round-trip time seen (over the last few minutes), µs.</summary>
    public uint? MinRtt { get; }

    public ulong? DeliveryRate { get; }

    /// <summary>Reads the socket's tcp_info; false when it cannot be read (closed, not TCP, a kernel with no TCP_INFO).</summary>
    public static bool TryRead(Socket socket, out TcpInfo info)
    {
        Span<byte> buffer = stackalloc byte[Length];
        int copied;
        try
        {
            copied = socket.GetRawSocketOption(IPPROTO_TCP, TCP_INFO, buffer);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            info = default;
            return false;
        }

        if (copied <= RetransmitsOffset)
        {
            info = default;
            return false;
        }

        info = new TcpInfo(buffer[..copied]);
        return true;
    }

    private static uint? U32(ReadOnlySpan<byte> info, int offset) =>
        info.Length >= offset + 4 ? MemoryMarshal.Read<uint>(info[offset..]) : null;

    private static ulong? U64(ReadOnlySpan<byte> info, int offset) =>
        info.Length >= offset + 8 ? MemoryMarshal.Read<ulong>(info[offset..]) : null;
}
