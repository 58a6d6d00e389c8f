using System.Buffers;
using System.IO.Pipelines;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The link's TLS on its own: the send loop's chunks end on a frame boundary, so a chunk asked for
/// <see cref="TlsLinkCodec.ChunkBytes"/> runs on to the end of the frame it stops in. Sealed from a pipe's
/// segments, such a chunk once overran the codec's buffer (ArgumentOutOfRangeException) and ended the link,
/// which the bench showed as TLS at 11 % of the plain link's rate at 1200 B.
/// </summary>
[InProcessTest]
[NeedsLinux]
public sealed class TlsLinkCodecTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    [Fact]
    public async Task A_chunk_that_runs_a_whole_largest_datagram_past_the_chunk_size_seals_and_arrives_whole()
    {
        using var tls = new InMemoryTlsPair(certificates.Server);
        var sender = new TlsLinkCodec(tls.Client, default);
        var receiver = new TlsLinkCodec(tls.Server, default);
        byte[] data = new byte[TlsLinkCodec.MaxSealBytes];
        new Random(61).NextBytes(data);
        var chunk = Segments.Cut(data, 4096, TlsLinkCodec.ChunkBytes - 4096, data.Length - TlsLinkCodec.ChunkBytes);

        int sealedLength = sender.Seal(chunk);

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));   // all of it written before it is read
        // No link: reading makes no ciphertext here, so nothing rings a send loop's doorbell.
        Assert.Equal(data.Length, receiver.Deliver(sender.ToSend.AsSpan(0, sealedLength), pipe.Writer, link: null!));
        await pipe.Writer.FlushAsync();
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(data, read.Buffer.ToArray());
    }
}
