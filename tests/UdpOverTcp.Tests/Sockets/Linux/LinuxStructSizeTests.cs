using UdpOverTcp.Sockets;
using UdpOverTcp.Tests.Support;
using static UdpOverTcp.Sockets.LinuxSocketCalls;

namespace UdpOverTcp.Tests.Sockets.Linux;

/// <summary>
/// The P/Invoke structs must match the kernel's layouts on 64-bit Linux (x64 and arm64, glibc and
/// musl alike): a wrong size would make recvmmsg/sendmmsg walk the wrong memory.
/// </summary>
[UnitTest]
[NeedsLinux]
public sealed unsafe class LinuxStructSizeTests
{
    [Fact]
    public void Structs_have_the_kernels_64_bit_sizes()
    {
        Assert.Equal(8, sizeof(nint));   // the layouts below are for 64-bit processes only
        Assert.Equal(16, sizeof(IoVec));     // struct iovec
        Assert.Equal(56, sizeof(MsgHdr));    // struct msghdr
        Assert.Equal(64, sizeof(MMsgHdr));   // struct mmsghdr: msghdr + unsigned int, padded
        Assert.Equal(8, sizeof(PollFd));     // struct pollfd
    }

    [Fact]
    public void Fields_sit_at_the_kernels_offsets()
    {
        var header = default(MsgHdr);
        byte* start = (byte*)&header;
        Assert.Equal(8, (byte*)&header.NameLength - start);
        Assert.Equal(16, (byte*)&header.Iov - start);
        Assert.Equal(32, (byte*)&header.Control - start);
        Assert.Equal(48, (byte*)&header.Flags - start);
        var message = default(MMsgHdr);
        Assert.Equal(56, (byte*)&message.Length - (byte*)&message);
    }

    [Fact]
    public void Sockaddr_room_fits_sockaddr_in6()
    {
        Assert.Equal(28, SocketAddressBytes.MaxLength);
    }
}
