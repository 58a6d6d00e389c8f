using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>TlsServerContext and TlsSession as the server of a real <c>openssl s_client -tls1_3 -verify_return_error</c>.</summary>
[EndToEndTest]
[NeedsLinux]
public sealed class TlsServerAgainstOpenSslTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    [Fact]
    public async Task A_verifying_s_client_accepts_the_server_and_a_megabyte_crosses_both_ways_byte_exact()
    {
        using var context = new TlsServerContext(certificates.Server.Certificate, certificates.Server.Key);
        using var listener = new LoopbackListener();
        using var client = OpenSslPeer.Client(listener.Port, certificates.Ca.Certificate, "localhost");
        using var link = await listener.AcceptAsync(context);
        byte[] up = TlsClientAgainstOpenSslTests.RandomBytes(1 << 20);
        byte[] down = TlsClientAgainstOpenSslTests.RandomBytes(1 << 20);

        var clientReads = client.ReadExactlyAsync(down.Length);
        foreach (var chunk in TlsClientAgainstOpenSslTests.RandomChunks(down))
        {
            link.Send(chunk.Span);
        }

        Assert.Equal(down, await clientReads);
        var clientWrites = Task.Run(() => client.Input.Write(up));
        Assert.Equal(up, link.ReceiveExactly(up.Length));
        await clientWrites.Within("s_client's stdin taking a megabyte");
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_by_s_client_and_the_server_says_why()
    {
        using var context = new TlsServerContext(certificates.Expired.Certificate, certificates.Expired.Key);
        using var listener = new LoopbackListener();
        using var client = OpenSslPeer.Client(listener.Port, certificates.Ca.Certificate, "localhost");

        var error = await Assert.ThrowsAsync<TlsException>(() => listener.AcceptAsync(context));

        Assert.Matches("^TLS handshake failed: .*alert certificate expired$", error.Message);
    }

    [Fact]
    public void A_key_that_is_not_the_certificate_s_is_refused_at_load()
    {
        var error = Assert.Throws<TlsException>(() => new TlsServerContext(certificates.Server.Certificate, certificates.SecondServer.Key));

        Assert.Equal($"cannot use key '{certificates.SecondServer.Key}' with certificate '{certificates.Server.Certificate}': key values mismatch", error.Message);
    }

    [Fact]
    public void A_missing_certificate_file_is_named()
    {
        string missing = Path.Combine(certificates.Folder, "missing.pem");

        var error = Assert.Throws<TlsException>(() => new TlsServerContext(missing, certificates.Server.Key));

        Assert.Equal($"certificate file '{missing}' does not exist", error.Message);
    }
}
