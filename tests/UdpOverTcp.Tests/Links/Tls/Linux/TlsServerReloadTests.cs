using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// TlsServerContext.Reload (SIGHUP's job): new sessions get the certificate now in the files, sessions
/// already up keep working, a reload that fails keeps the current certificate. The client pins a
/// certificate, so which one the server presented is what the handshake's outcome says.
/// </summary>
[InProcessTest]
[NeedsLinux]
public sealed class TlsServerReloadTests(TestCertificates certificates) : IClassFixture<TestCertificates>, IDisposable
{
    private readonly string _certificate = Path.Combine(certificates.Folder, $"reload-{Guid.NewGuid():N}.pem");
    private readonly string _key = Path.Combine(certificates.Folder, $"reload-{Guid.NewGuid():N}.key");
    private readonly LoopbackListener _listener = new();

    [Fact]
    public async Task New_sessions_get_the_new_certificate_and_an_established_one_keeps_working()
    {
        Install(certificates.Server);
        using var context = new TlsServerContext(_certificate, _key);
        using var before = await ConnectPinnedAsync(context, certificates.Server);

        Install(certificates.SecondServer);
        context.Reload();
        var refused = await Assert.ThrowsAsync<TlsException>(() => ConnectPinnedAsync(context, certificates.Server));
        using var after = await ConnectPinnedAsync(context, certificates.SecondServer);

        Assert.StartsWith($"pin mismatch: got {TlsPin.Format(certificates.SecondServer.CertificateSha256)}", refused.Message);
        AssertExchanges(before);
        AssertExchanges(after);
    }

    [Fact]
    public async Task A_reload_that_fails_keeps_the_current_certificate()
    {
        Install(certificates.Server);
        using var context = new TlsServerContext(_certificate, _key);

        File.Copy(certificates.SecondServer.Key, _key, overwrite: true);   // the certificate's key no longer
        var error = Assert.Throws<TlsException>(context.Reload);
        using var link = await ConnectPinnedAsync(context, certificates.Server);

        Assert.EndsWith("key values mismatch", error.Message);
        AssertExchanges(link);
    }

    public void Dispose() => _listener.Dispose();

    private void Install(TestCertificates.Pair pair)
    {
        File.Copy(pair.Certificate, _certificate, overwrite: true);
        File.Copy(pair.Key, _key, overwrite: true);
    }

    /// <summary>Both ends of one link, as a pair: the client pinning <paramref name="expected"/>.</summary>
    private async Task<LinkPair> ConnectPinnedAsync(TlsServerContext context, TestCertificates.Pair expected)
    {
        using var settings = new TlsClientSettings("localhost", pin: TlsPin.Parse(TlsPin.Format(expected.CertificateSha256)));
        var server = _listener.AcceptAsync(context);
        TlsOverSocket client;
        try
        {
            client = await Task.Run(() => TlsOverSocket.Connect(settings, _listener.Port)).Within("the client's handshake");
        }
        catch
        {
            await Task.WhenAny(server);   // the server's side ends too (the client's alert); its outcome is not the point
            throw;
        }

        return new LinkPair(client, await server);
    }

    private static void AssertExchanges(LinkPair link)
    {
        link.Client.Send("up"u8);
        link.Server.Send("down"u8);

        Assert.Equal("up"u8.ToArray(), link.Server.ReceiveExactly(2));
        Assert.Equal("down"u8.ToArray(), link.Client.ReceiveExactly(4));
    }

    private sealed record LinkPair(TlsOverSocket Client, TlsOverSocket Server) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
