using System.Buffers.Binary;

namespace UdpOverTcp.Bench;

/// <summary>
/// Datagram contents that let a receiver prove each one arrived whole: an 8-byte sequence number,
/// then bytes derived from it. Shared by the bench and the tests.
/// </summary>
public static class SequencedPayload
{
    /// <summary>Smallest datagram that carries a sequence number.</summary>
    public const int MinimumSize = 8;

    public static void Fill(Span<byte> datagram, long sequence)
    {
        BinaryPrimitives.WriteInt64LittleEndian(datagram, sequence);
        FillPattern(datagram[MinimumSize..], sequence);
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
        byte b = (byte)(sequence * 31);
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != b)
            {
                return -1;
            }

            b = (byte)(b + 7);
        }

        return sequence;
    }

    private static void FillPattern(Span<byte> body, long sequence)
    {
        byte b = (byte)(sequence * 31);
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = b;
            b = (byte)(b + 7);
        }
    }
}
