using UdpOverTcp.Bench.Traffic;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

[UnitTest]
public class SequencedPayloadTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(64)]
    [InlineData(1200)]
    [InlineData(65507)]
    public void Bytes_follow_the_documented_formula_and_verify(int size)
    {
        foreach (long sequence in new long[] { 0, 1, 255, 256, 12345, TrialSequence.Compose(7, 99), long.MaxValue })
        {
            var datagram = new byte[size];
            SequencedPayload.Fill(datagram, sequence);
            Assert.Equal(sequence, BitConverter.ToInt64(datagram));
            for (int i = 8; i < size; i++)
            {
                Assert.Equal((byte)(SequencedPayload.FirstBodyByte(sequence) + (7 * (i - 8))), datagram[i]);
            }

            Assert.Equal(sequence, SequencedPayload.Verify(datagram, size));
        }
    }

    [Fact]
    public void The_body_depends_on_every_byte_of_the_sequence_number()
    {
        long sequence = TrialSequence.Compose(5, 123_456);
        for (int bit = 0; bit < 63; bit++)
        {
            Assert.NotEqual(SequencedPayload.FirstBodyByte(sequence), SequencedPayload.FirstBodyByte(sequence ^ (1L << bit)));
        }
    }

    [Fact]
    public void Any_wrong_byte_or_length_fails_verification()
    {
        var datagram = new byte[100];
        SequencedPayload.Fill(datagram, 42);
        for (int i = 0; i < datagram.Length; i++)
        {
            datagram[i] ^= 0x10;
            Assert.Equal(-1, SequencedPayload.Verify(datagram, 100));
            datagram[i] ^= 0x10;
        }

        Assert.Equal(-1, SequencedPayload.Verify(datagram, 101));
        Assert.Equal(-1, SequencedPayload.Verify(datagram.AsSpan(0, 99), 100));   // truncated: only the length tells
        Assert.Equal(-1, SequencedPayload.Verify(datagram.AsSpan(0, 7), 7));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1200)]
    [InlineData(65507)]
    public void A_stamped_datagram_carries_its_send_time_and_verifies(int size)
    {
        foreach (long timestamp in new long[] { 0, 1, 123_456_789_012, long.MaxValue, -5 })
        {
            long sequence = TrialSequence.Compose(3, 77);
            var datagram = new byte[size];
            SequencedPayload.FillStamped(datagram, sequence, timestamp);
            Assert.Equal(sequence, BitConverter.ToInt64(datagram));
            Assert.Equal(timestamp, BitConverter.ToInt64(datagram, 8));
            for (int i = 16; i < size; i++)
            {
                Assert.Equal((byte)(SequencedPayload.FirstBodyByte(sequence ^ timestamp) + (7 * (i - 16))), datagram[i]);
            }

            Assert.Equal(sequence, SequencedPayload.VerifyStamped(datagram, out long read));
            Assert.Equal(timestamp, read);
        }
    }

    [Fact]
    public void Any_wrong_byte_of_a_stamped_datagram_fails_verification()
    {
        var datagram = new byte[100];
        SequencedPayload.FillStamped(datagram, 42, 987_654_321);
        for (int i = 0; i < datagram.Length; i++)
        {
            datagram[i] ^= 0x10;
            Assert.Equal(-1, SequencedPayload.VerifyStamped(datagram, out _));
            datagram[i] ^= 0x10;
        }

        Assert.Equal(-1, SequencedPayload.VerifyStamped(datagram.AsSpan(0, 15), out _));
        var plain = new byte[100];
        SequencedPayload.Fill(plain, 42);
        Assert.Equal(-1, SequencedPayload.VerifyStamped(plain, out _));   // an unstamped datagram is not taken for one
    }

    [Fact]
    public void Trial_and_index_round_trip_through_the_sequence_number()
    {
        long sequence = TrialSequence.Compose(TrialSequence.MaxTrial, TrialSequence.MaxIndex);
        Assert.True(sequence > 0);
        Assert.Equal(TrialSequence.MaxTrial, TrialSequence.TrialOf(sequence));
        Assert.Equal(TrialSequence.MaxIndex, TrialSequence.IndexOf(sequence));
        Assert.Equal(3, TrialSequence.TrialOf(TrialSequence.Compose(3, 5)));
        Assert.Equal(5, TrialSequence.IndexOf(TrialSequence.Compose(3, 5)));
    }
}
