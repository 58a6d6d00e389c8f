using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UdpOverTcp.DataPath;

/// <summary>
/// Fixed-size blocks on the pinned object heap, reused forever (after Kestrel's PinnedBlockMemoryPool).
/// Pinned, so the batching syscalls can point straight into pipe memory; reused, so a steady stream
/// allocates nothing — the default pool would allocate a wrapper object per pipe segment.
/// </summary>
public sealed class PinnedBlockPool : MemoryPool<byte>
{
    /// <summary>Holds the largest frame (65535 + header) contiguously, so a datagram is received in place.</summary>
    public const int BlockSize = 128 * 1024;

    // A lock around a list, not ConcurrentStack: that allocates a node per push.
    private readonly Lock _gate = new();
    private readonly List<Block> _free = new(64);

    public static PinnedBlockPool Instance { get; } = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"blocks are {BlockSize} bytes");
        }

        lock (_gate)
        {
            if (_free.Count > 0)
            {
                var block = _free[^1];
                _free.RemoveAt(_free.Count - 1);
                return block;
            }
        }

        return new Block(this);
    }

    private void Return(Block block)
    {
        lock (_gate)
        {
            _free.Add(block);
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(PinnedBlockPool pool) : MemoryManager<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public override Span<byte> GetSpan() => _array;

        public override unsafe MemoryHandle Pin(int elementIndex = 0) =>
            new(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), elementIndex)));

        public override void Unpin()
        {
        }

        // The pipe disposes a segment's owner when it is done with it: back to the pool.
        protected override void Dispose(bool disposing) => pool.Return(this);
    }
}
