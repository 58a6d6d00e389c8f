using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// A client and a server session wired to each other through buffers, no socket: the crypto alone, for
/// the allocation and throughput measurements. The client pins the server's certificate.
/// </summary>
public sealed class InMemoryTlsPair : IDisposable
{
    private readonly TlsClientSettings _settings;
    private readonly TlsServerContext _context;
    private readonly byte[] _wire = new byte[64 * 1024];

    public InMemoryTlsPair(TestCertificates.Pair server)
    {
        _context = new TlsServerContext(server.Certificate, server.Key);
        _settings = new TlsClientSettings("localhost", pin: TlsPin.Parse(TlsPin.Format(server.CertificateSha256)));
        Client = _settings.NewSession();
        Server = _context.NewSession();
        Handshake();
        Server.KeepBuffers();   // as a link's session does
    }

    public TlsSession Client { get; }

    public TlsSession Server { get; }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        _settings.Dispose();
        _context.Dispose();
    }

    private void Handshake()
    {
        bool clientDone = Client.Handshake([]);
        for (int step = 0; step < 10 && !(clientDone && Server.IsHandshakeDone); step++)
        {
            Server.Handshake(_wire.AsSpan(0, Client.TakeCiphertext(_wire)));
            clientDone = Client.Handshake(_wire.AsSpan(0, Server.TakeCiphertext(_wire)));
        }

        Server.Handshake(_wire.AsSpan(0, Client.TakeCiphertext(_wire)));   // the client's Finished, when it came last
        if (!clientDone || !Server.IsHandshakeDone)
        {
            throw new InvalidOperationException("the in-memory handshake did not finish");
        }
    }
}
