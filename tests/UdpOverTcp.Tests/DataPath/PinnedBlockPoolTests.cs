using UdpOverTcp.DataPath;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.DataPath;

[UnitTest]
public sealed class PinnedBlockPoolTests
{
    [Fact]
    public void A_returned_block_is_handed_out_again()
    {
        var pool = new PinnedBlockPool();
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();
        using var second = pool.Rent();
        Assert.True(second.Memory.Span.Overlaps(memory.Span));
    }

    [Fact]
    public void Blocks_hold_the_largest_frame_and_refuse_more()
    {
        var pool = new PinnedBlockPool();
        using var block = pool.Rent(PinnedBlockPool.BlockSize);
        Assert.Equal(PinnedBlockPool.BlockSize, block.Memory.Length);
        Assert.True(PinnedBlockPool.BlockSize >= 65535 + 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(PinnedBlockPool.BlockSize + 1));
    }

    [Fact]
    public void Blocks_in_use_are_distinct()
    {
        var pool = new PinnedBlockPool();
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span));
    }
}
