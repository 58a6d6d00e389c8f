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

        var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        RoundTrips(pair, Records);
        clock.Stop();
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;

        double megabytesPerSecond = (double)Records * RecordPlaintext / clock.Elapsed.TotalSeconds / 1e6;
        output.WriteLine($"{Records:N0} records of {RecordPlaintext} B, encrypt+decrypt on one thread: {clock.Elapsed.TotalMilliseconds:N0} ms, "
            + $"{megabytesPerSecond:N0} MB/s of plaintext, {clock.Elapsed.TotalMicroseconds / Records:N2} µs per record, "
            + $"process CPU {cpu.TotalSeconds / Records * 1e6:N2} s per million datagrams");
        Assert.Equal(_plaintext, _decrypted);
    }

    /// <summary>Client encrypts, server decrypts, one record at a time, as a link's two ends would.</summary>
    private void RoundTrips(InMemoryTlsPair pair, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int sent = pair.Client.Encrypt(_plaintext, _ciphertext);
            int received = pair.Server.Decrypt(_ciphertext.AsSpan(0, sent), _decrypted);
            if (sent != RecordPlaintext + TlsSession.RecordOverhead || received != RecordPlaintext)
            {
                throw new InvalidOperationException($"record {i}: {sent} B of ciphertext, {received} B of plaintext");
            }
        }
    }
}
