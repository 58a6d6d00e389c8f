using System.Diagnostics;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;
using Xunit.Abstractions;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The steady path's cost: Encrypt and Decrypt of 1,200-byte records (a datagram with its frame) allocate
/// nothing, and how fast they are on one core (written to the test output; not asserted, the machine varies).
/// </summary>
[InProcessTest]
[NeedsLinux]
public sealed class TlsSessionCostTests(TestCertificates certificates, ITestOutputHelper output) : IClassFixture<TestCertificates>
{
    private const int RecordPlaintext = 1200;

    private readonly byte[] _plaintext = TlsClientAgainstOpenSslTests.RandomBytes(RecordPlaintext);
    private readonly byte[] _ciphertext = new byte[TlsSession.MaxCiphertextLength(RecordPlaintext)];
    private readonly byte[] _decrypted = new byte[RecordPlaintext];

    [Fact]
    public void Encrypt_and_decrypt_allocate_nothing_after_warm_up()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);
        RoundTrips(pair, 1000);   // JIT, tiering, OpenSSL's lazily grown buffers

        long before = GC.GetAllocatedBytesForCurrentThread();
        RoundTrips(pair, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Encrypt_and_decrypt_round_trip_byte_exact_and_report_their_speed()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);
        RoundTrips(pair, 10_000);
        const int Records = 200_000;

        var clock = Stopwatch.StartNew();
        var (encrypting, decrypting) = RoundTrips(pair, Records);
        clock.Stop();

        double megabytesPerSecond = (double)Records * RecordPlaintext / clock.Elapsed.TotalSeconds / 1e6;
        output.WriteLine($"{Records:N0} records of {RecordPlaintext} B on one thread: {clock.Elapsed.TotalMilliseconds:N0} ms, "
            + $"{megabytesPerSecond:N0} MB/s of plaintext encrypted and decrypted, {clock.Elapsed.TotalMicroseconds / Records:N2} µs per record "
            + $"(Encrypt {encrypting.TotalMicroseconds / Records:N2} µs, Decrypt {decrypting.TotalMicroseconds / Records:N2} µs): "
            + $"the loop never blocks, so that is {clock.Elapsed.TotalSeconds / Records * 1e6:N2} CPU-seconds per million datagrams, both ends together "
            + "(run it alone for the figure: other test classes share the cores)");
        Assert.Equal(_plaintext, _decrypted);
    }

    /// <summary>Client encrypts, server decrypts, one record at a time, as a link's two ends would; returns the time in each.</summary>
    private (TimeSpan Encrypting, TimeSpan Decrypting) RoundTrips(InMemoryTlsPair pair, int count)
    {
        long encrypting = 0;
        long decrypting = 0;
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int sent = pair.Client.Encrypt(_plaintext, _ciphertext);
            long encrypted = Stopwatch.GetTimestamp();
            int received = pair.Server.Decrypt(_ciphertext.AsSpan(0, sent), _decrypted);
            decrypting += Stopwatch.GetTimestamp() - encrypted;
            encrypting += encrypted - start;
            if (sent != RecordPlaintext + TlsSession.RecordOverhead || received != RecordPlaintext)
            {
                throw new InvalidOperationException($"record {i}: {sent} B of ciphertext, {received} B of plaintext");
            }
        }

        return (Stopwatch.GetElapsedTime(0, encrypting), Stopwatch.GetElapsedTime(0, decrypting));
    }
}
