using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>TlsClientSettings and TlsSession as the client of a real <c>openssl s_server -tls1_3</c>: verification, pins, SNI, data.</summary>
[EndToEndTest]
[NeedsLinux]
public sealed class TlsClientAgainstOpenSslTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    [Fact]
    public async Task A_server_certificate_signed_by_the_given_CA_for_the_host_name_verifies()
    {
        using var link = await ConnectAsync(certificates.Server, new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate));

        Assert.True(link.Session.IsHandshakeDone);
    }

    [Fact]
    public async Task An_IP_address_host_is_verified_against_the_certificate_s_IP_entry()
    {
        using var link = await ConnectAsync(certificates.Server, new TlsClientSettings("127.0.0.1", caFile: certificates.Ca.Certificate));

        Assert.True(link.Session.IsHandshakeDone);
    }

    [Fact]
    public async Task A_certificate_for_another_name_fails_with_hostname_mismatch()
    {
        var error = await FailAsync(certificates.WrongName, new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate));

        Assert.Equal("certificate verify failed: hostname mismatch", error.Message);
    }

    [Fact]
    public async Task An_expired_certificate_fails_as_expired()
    {
        var error = await FailAsync(certificates.Expired, new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate));

        Assert.Equal("certificate verify failed: certificate has expired", error.Message);
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_CA_fails_with_the_missing_issuer()
    {
        var error = await FailAsync(certificates.Server, new TlsClientSettings("localhost"));

        Assert.Equal("certificate verify failed: unable to get local issuer certificate", error.Message);
    }

    [Fact]
    public async Task A_pin_of_the_certificate_accepts_a_self_signed_server()
    {
        var pin = TlsPin.Parse(TlsPin.Format(certificates.SelfSignedServer.CertificateSha256));

        using var link = await ConnectAsync(certificates.SelfSignedServer, new TlsClientSettings("localhost", pin: pin));

        Assert.True(link.Session.IsHandshakeDone);
    }

    [Fact]
    public async Task A_pin_of_the_public_key_accepts_a_self_signed_server()
    {
        var pin = TlsPin.Parse(TlsPin.Format(certificates.SelfSignedServer.PublicKeySha256));

        using var link = await ConnectAsync(certificates.SelfSignedServer, new TlsClientSettings("any.name", pin: pin));

        Assert.True(link.Session.IsHandshakeDone);
    }

    [Fact]
    public async Task A_wrong_pin_fails_naming_what_the_server_has()
    {
        var pin = TlsPin.Parse(TlsPin.Format(certificates.Server.CertificateSha256));

        var error = await FailAsync(certificates.SelfSignedServer, new TlsClientSettings("localhost", pin: pin));

        Assert.StartsWith($"pin mismatch: got {TlsPin.Format(certificates.SelfSignedServer.CertificateSha256)} (certificate), "
            + $"{TlsPin.Format(certificates.SelfSignedServer.PublicKeySha256)} (public key)", error.Message);
    }

    [Fact]
    public async Task The_SNI_override_is_sent_and_picks_the_server_s_second_certificate()
    {
        // s_server answers "sni.example" with -cert2 and anything else with -cert, which is not valid for sni.example:
        // the handshake verifying as sni.example proves the name went out.
        string[] second = ["-servername", "sni.example", "-cert2", certificates.Sni.Certificate, "-key2", certificates.Sni.Key];
        using var link = await ConnectAsync(certificates.Server, new TlsClientSettings("127.0.0.1", caFile: certificates.Ca.Certificate, sniName: "sni.example"), second);
        var error = await FailAsync(certificates.Server, new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate, sniName: "elsewhere.example"), second);

        Assert.True(link.Session.IsHandshakeDone);
        Assert.Equal("certificate verify failed: hostname mismatch", error.Message);
    }

    [Fact]
    public async Task A_megabyte_crosses_both_ways_byte_exact_in_chunks_of_random_sizes()
    {
        int port = FreePort.Tcp();
        using var server = await OpenSslPeer.ServerAsync(port, certificates.Server);
        using var settings = new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate);
        using var link = TlsOverSocket.Connect(settings, port);
        byte[] up = RandomBytes(1 << 20);
        byte[] down = RandomBytes(1 << 20);

        var serverReads = server.ReadExactlyAsync(up.Length);
        foreach (var chunk in RandomChunks(up))
        {
            link.Send(chunk.Span);
        }

        Assert.Equal(up, await serverReads);
        var serverWrites = Task.Run(() => server.Input.Write(down));   // s_server reads its stdin while it reads the socket
        Assert.Equal(down, link.ReceiveExactly(down.Length));
        await serverWrites.Within("s_server's stdin taking a megabyte");
    }

    [Fact]
    public async Task One_session_sends_on_one_thread_while_it_receives_on_another()
    {
        int port = FreePort.Tcp();
        using var server = await OpenSslPeer.ServerAsync(port, certificates.Server);
        using var settings = new TlsClientSettings("localhost", caFile: certificates.Ca.Certificate);
        using var link = TlsOverSocket.Connect(settings, port);
        byte[] up = RandomBytes(4 << 20);
        byte[] down = RandomBytes(4 << 20);

        // The link loops' shape: a send loop encrypting and a receive thread decrypting, on the same session at once.
        var sending = Task.Run(() => { foreach (var chunk in RandomChunks(up)) { link.Send(chunk.Span); } });
        var receiving = Task.Run(() => link.ReceiveExactly(down.Length, whileAnotherThreadSends: true));
        var serverReads = server.ReadExactlyAsync(up.Length);
        var serverWrites = Task.Run(() => server.Input.Write(down));

        await Task.WhenAll(sending, serverWrites).Within("4 MB each way");
        Assert.Equal(up, await serverReads);
        Assert.Equal(down, await receiving.Within("4 MB from s_server"));
    }

    private static async Task<TlsOverSocket> ConnectAsync(TestCertificates.Pair pair, TlsClientSettings settings, params string[] extra)
    {
        int port = FreePort.Tcp();
        using var server = await OpenSslPeer.ServerAsync(port, pair, extra);
        using (settings)
        {
            var link = TlsOverSocket.Connect(settings, port);
            link.Send("ping"u8);
            Assert.Equal("ping"u8.ToArray(), await server.ReadExactlyAsync(4));   // data after the handshake, not just the handshake
            return link;
        }
    }

    private static async Task<TlsException> FailAsync(TestCertificates.Pair pair, TlsClientSettings settings, params string[] extra)
    {
        int port = FreePort.Tcp();
        using var server = await OpenSslPeer.ServerAsync(port, pair, extra);
        using (settings)
        {
            return Assert.Throws<TlsException>(() => TlsOverSocket.Connect(settings, port).Dispose());
        }
    }

    internal static byte[] RandomBytes(int length)
    {
        byte[] data = new byte[length];
        Random.Shared.NextBytes(data);
        return data;
    }

    /// <summary>Cuts <paramref name="data"/> into pieces of 1 to 20,000 bytes: some under one record, some over.</summary>
    internal static IEnumerable<ReadOnlyMemory<byte>> RandomChunks(byte[] data)
    {
        for (int offset = 0; offset < data.Length;)
        {
            int length = Math.Min(Random.Shared.Next(1, 20_001), data.Length - offset);
            yield return data.AsMemory(offset, length);
            offset += length;
        }
    }
}
