using System.Buffers.Binary;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath.Linux;

/// <summary>struct tcp_info as the kernel copies it, of this kernel's length or an older one's, and the figures made of it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[UnitTest]
[NeedsLinux]
public sealed class KernelFiguresTests
{
    private const int RttOffset = 68;
    private const int NotSentBytesOffset = 144;

    /// <summary>A struct tcp_info of <paramref name="length"/> bytes with the figures of a 50 ms path that lost a little.</summary>
    private static byte[] Info(int length = TcpInfo.Length)
    {
        var info = new byte[TcpInfo.Length];
        info[0] = 1;                                                  // tcpi_state: established
        info[1] = 3;                                                  // tcpi_ca_state: recovery
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(8), 250_000);     // tcpi_rto
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(RttOffset), 51_234);     // tcpi_rtt
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(72), 1_500);      // tcpi_rttvar
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(80), 42);         // tcpi_snd_cwnd
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(100), 3);         // tcpi_total_retrans
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(104), 2_500_000); // tcpi_pacing_rate
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(120), 123_456_789); // tcpi_bytes_acked
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(NotSentBytesOffset), 9_800);     // tcpi_notsent_bytes
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(148), 50_100);    // tcpi_min_rtt
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(160), 2_400_000); // tcpi_delivery_rate
        return info[..length];
    }

    [Fact]
    public void Every_field_at_its_offset()
    {
        var info = new TcpInfo(Info());
        Assert.Equal(1, info.State);
        Assert.Equal(3, info.CaState);
        Assert.Equal(250_000u, info.Rto);
        Assert.Equal(51_234u, info.Rtt);
        Assert.Equal(1_500u, info.RttVar);
        Assert.Equal(42u, info.CongestionWindow);
        Assert.Equal(3u, info.TotalRetrans);
        Assert.Equal(2_500_000ul, info.PacingRate);
        Assert.Equal(123_456_789ul, info.BytesAcked);
        Assert.Equal(9_800u, info.NotSentBytes);
        Assert.Equal(50_100u, info.MinRtt);
        Assert.Equal(2_400_000ul, info.DeliveryRate);
    }

    [Fact]
    public void The_figures_read_compactly()
    {
        Assert.Equal("rtt 51.2 ms (min 50.1) cwnd 42 retrans 3 unsent 9.8 KB", KernelFigures.Format(new TcpInfo(Info())));
    }

    [Fact]
    public void A_kernel_before_4_6_has_no_unsent_bytes_nor_min_rtt_and_the_figures_leave_them_out()
    {
        var info = new TcpInfo(Info(length: 120));   // up to tcpi_max_pacing_rate: Linux 3.15 to 4.0
        Assert.Equal(51_234u, info.Rtt);
        Assert.Equal(2_500_000ul, info.PacingRate);
        Assert.Null(info.BytesAcked);
        Assert.Null(info.NotSentBytes);
        Assert.Null(info.MinRtt);
        Assert.Null(info.DeliveryRate);
        Assert.Equal("rtt 51.2 ms cwnd 42 retrans 3", KernelFigures.Format(info));
    }

    [Theory]
    [InlineData(40u, "0.04")]
    [InlineData(999u, "1.00")]
    [InlineData(1_000u, "1.0")]
    [InlineData(250_049u, "250.0")]
    public void Round_trip_times_below_a_millisecond_keep_two_decimals(uint microseconds, string shown) =>
        Assert.StartsWith($"rtt {shown} ms ", FiguresWith(RttOffset, microseconds));

    [Theory]
    [InlineData(0u, "0 B")]
    [InlineData(999u, "999 B")]
    [InlineData(1_000u, "1.0 KB")]
    [InlineData(4_200_000u, "4.2 MB")]
    public void Unsent_bytes_in_b_kb_or_mb(uint bytes, string shown) =>
        Assert.EndsWith($" unsent {shown}", FiguresWith(NotSentBytesOffset, bytes));

    /// <summary>The figures of <see cref="Info"/> with the u32 at <paramref name="offset"/> set to <paramref name="value"/>.</summary>
    private static string? FiguresWith(int offset, uint value)
    {
        var info = Info();
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(offset), value);
        return KernelFigures.Format(new TcpInfo(info));
    }
}
