using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>What a link loop relies on from a TlsSession, between two sessions wired through buffers: partial records, small buffers, close_notify, tampering.</summary>
[InProcessTest]
[NeedsLinux]
public sealed class TlsSessionBehaviourTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    private readonly byte[] _ciphertext = new byte[TlsSession.MaxCiphertextLength(64 * 1024)];

    [Fact]
    public void Ciphertext_fed_a_byte_at_a_time_decrypts_once_each_record_is_whole()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);
        byte[] plaintext = TlsClientAgainstOpenSslTests.RandomBytes(1200);
        int length = pair.Client.Encrypt(plaintext, _ciphertext);
        byte[] decrypted = new byte[1200];

        int before = 0;
        for (int i = 0; i < length - 1; i++)
        {
            before += pair.Server.Decrypt(_ciphertext.AsSpan(i, 1), decrypted);
        }

        Assert.Equal(0, before);
        Assert.Equal(1200, pair.Server.Decrypt(_ciphertext.AsSpan(length - 1, 1), decrypted));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void A_plaintext_buffer_smaller_than_what_arrived_is_filled_and_the_rest_comes_with_an_empty_call()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);
        byte[] plaintext = TlsClientAgainstOpenSslTests.RandomBytes(40_000);   // three records
        int length = pair.Client.Encrypt(plaintext, _ciphertext);
        byte[] decrypted = new byte[plaintext.Length];

        int first = pair.Server.Decrypt(_ciphertext.AsSpan(0, length), decrypted.AsSpan(0, 1000));
        int filled = first;
        int count;
        while ((count = pair.Server.Decrypt([], decrypted.AsSpan(filled, Math.Min(1000, decrypted.Length - filled)))) > 0)
        {
            filled += count;
        }

        Assert.Equal(1000, first);
        Assert.Equal(plaintext.Length, filled);
        Assert.Equal(plaintext, decrypted);
        Assert.Equal(length, plaintext.Length + 3 * TlsSession.RecordOverhead);
        Assert.True(length <= TlsSession.MaxCiphertextLength(plaintext.Length));
    }

    [Fact]
    public void Close_sends_close_notify_and_the_peer_sees_its_end()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);

        pair.Client.Close();
        int length = pair.Client.TakeCiphertext(_ciphertext);
        int read = pair.Server.Decrypt(_ciphertext.AsSpan(0, length), new byte[100]);

        Assert.True(length > 0);
        Assert.Equal(0, read);
        Assert.True(pair.Server.PeerClosed);
        Assert.Throws<InvalidOperationException>(() => pair.Client.Encrypt("late"u8, _ciphertext));
    }

    [Fact]
    public void A_tampered_record_fails_the_session_with_a_reason()
    {
        using var pair = new InMemoryTlsPair(certificates.Server);
        int length = pair.Client.Encrypt(new byte[1200], _ciphertext);
        _ciphertext[length / 2] ^= 1;

        var error = Assert.Throws<TlsException>(() => pair.Server.Decrypt(_ciphertext.AsSpan(0, length), new byte[1200]));

        Assert.Equal("TLS read failed: decryption failed or bad record mac", error.Message);
        Assert.Throws<InvalidOperationException>(() => pair.Server.Decrypt([], new byte[1200]));
    }

    [Fact]
    public void A_disposed_session_refuses_work_and_reports_nothing_pending()
    {
        var pair = new InMemoryTlsPair(certificates.Server);
        pair.Dispose();

        Assert.Equal(0, pair.Client.PendingCiphertext);
        Assert.Throws<ObjectDisposedException>(() => pair.Client.Encrypt(new byte[10], _ciphertext));
    }
}
