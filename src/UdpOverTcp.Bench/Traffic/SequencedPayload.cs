using System.Buffers.Binary;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Traffic;

/// <summary>
/// Datagram contents that let a receiver prove each one arrived whole: an 8-byte sequence number,
/// then bytes derived from it: byte i of the body is <c>h + 7·i</c> mod 256, where h, the top byte of
/// <c>sequence · 0x9E3779B97F4A7C15</c> (Fibonacci hashing), depends on every byte of the sequence
/// number — so damage to the number itself shows in the body too. Shared by the bench and the tests.
/// A stamped datagram (<see cref="FillStamped"/>) carries its send time after the sequence number,
/// and its body is derived from both.
/// </summary>
public static class SequencedPayload
{
    /// <summary>Smallest datagram that carries a sequence number.</summary>
    public const int MinimumSize = 8;

    /// <summary>Smallest datagram that carries a sequence number and a send time.</summary>
    public const int MinimumStampedSize = 16;

    /// <summary>The inverse of 7 modulo 256 (7 · 183 = 1281 = 5 · 256 + 1).</summary>
    private const int InverseOfSeven = 183;

    /// <summary>2⁶⁴ divided by the golden ratio: its product's top byte mixes all bits of the factor.</summary>
    private const ulong FibonacciMultiplier = 0x9E3779B97F4A7C15;

    /// <summary>
    /// 7·j mod 256 for every j a body can need. Because 7 is odd, every body is a slice of this one
    /// table, so filling is a copy and checking a vectorised compare: the bench's generator and sink
    /// must stay cheaper than the tunnel they measure.
    /// </summary>
    private static readonly byte[] Pattern = CreatePattern();

    public static void Fill(Span<byte> datagram, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(datagram, sequence);
        var body = datagram[MinimumSize..];
        Pattern.AsSpan(PatternOffset(sequence), body.Length).CopyTo(body);
    }

    /// <summary>
    /// The sequence number, then <paramref name="timestamp"/> (the sender's Stopwatch timestamp: on one
    /// host one clock, so the receiver's own timestamp minus it is the one-way delay), then a body whose
    /// first byte is <see cref="FirstBodyByte"/> of <c>sequence ^ timestamp</c>: damage to either shows.
    /// </summary>
    public static void FillStamped(Span<byte> datagram, long sequence, long timestamp)
    {
        BinaryPrimitives.WriteInt64LittleEndian(datagram, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(datagram[MinimumSize..], timestamp);
        var body = datagram[MinimumStampedSize..];
        Pattern.AsSpan(PatternOffset(sequence ^ timestamp), body.Length).CopyTo(body);
    }

    /// <summary>The sequence number of a stamped datagram and its send time, or -1 when it is too short or any byte is wrong.</summary>
    public static long VerifyStamped(ReadOnlySpan<byte> datagram, out long timestamp)
    {
        timestamp = 0;
        if (datagram.Length < MinimumStampedSize)
        {
            return -1;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(datagram);
        long stamp = BinaryPrimitives.ReadInt64LittleEndian(datagram[MinimumSize..]);
        var body = datagram[MinimumStampedSize..];
        if (sequence < 0 || !body.SequenceEqual(Pattern.AsSpan(PatternOffset(sequence ^ stamp), body.Length)))
        {
            return -1;
        }

        timestamp = stamp;
        return sequence;
    }

    /// <summary>Returns the sequence number, or -1 when the datagram is too short or any byte is wrong.</summary>
    public static long Verify(ReadOnlySpan<byte> datagram, int expectedLength)
    {
        if (datagram.Length != expectedLength || datagram.Length < MinimumSize)
        {
            return -1;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(datagram);
        if (sequence < 0)
        {
            return -1;
        }

        var body = datagram[MinimumSize..];
        return body.SequenceEqual(Pattern.AsSpan(PatternOffset(sequence), body.Length)) ? sequence : -1;
    }

    /// <summary>The body's first byte for <paramref name="sequence"/>.</summary>
    public static byte FirstBodyByte(long sequence) => (byte)(((ulong)sequence * FibonacciMultiplier) >> 56);

    /// <summary>Where in <see cref="Pattern"/> the body for <paramref name="sequence"/> starts: 7·offset ≡ first byte (mod 256).</summary>
    private static int PatternOffset(long sequence) => (FirstBodyByte(sequence) * InverseOfSeven) & 0xFF;

    private static byte[] CreatePattern()
    {
        var pattern = new byte[256 + Datagram.MaxSize];
        for (int j = 0; j < pattern.Length; j++)
        {
            pattern[j] = (byte)(7 * j);
        }

        return pattern;
    }
}
