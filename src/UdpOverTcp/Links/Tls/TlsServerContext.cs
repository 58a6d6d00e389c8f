namespace UdpOverTcp.Links.Tls;

/// <summary>
/// The listen side's TLS (<c>--tls-cert FILE --tls-key FILE</c>, PEM): the SSL_CTX new links'
/// sessions come from. <see cref="Reload"/> (on SIGHUP) reads the files again into a new SSL_CTX and
/// swaps it in for the sessions made after it; a failed reload keeps the current one. Sessions already
/// made keep theirs: each SSL holds a reference on its SSL_CTX (SSL_new takes one), so freeing ours
/// only frees it once the last of its sessions is freed. No client certificates are asked for: links
/// authenticate with the tunnel's own handshake (--secret-file).
/// </summary>
public sealed class TlsServerContext : IDisposable
{
    private readonly Lock _swap = new();
    private SafeSslContextHandle _current;

    public TlsServerContext(string certificateFile, string keyFile)
    {
        CertificateFile = certificateFile;
        KeyFile = keyFile;
        _current = Load(certificateFile, keyFile);
    }

    public string CertificateFile { get; }

    public string KeyFile { get; }

    /// <summary>A server session for one accepted link: its first <see cref="TlsSession.Handshake"/> step takes the client's hello.</summary>
    public TlsSession NewSession()
    {
        SafeSslHandle ssl;
        lock (_swap)   // not freed by a Reload between reading _current and SSL_new taking its reference
        {
            ObjectDisposedException.ThrowIf(_current.IsClosed, this);
            ssl = SslContexts.NewSsl(_current);
        }

        OpenSsl.SSL_set_accept_state(ssl);
        // A stranger who sends a ClientHello and stalls holds this session until the handshake deadline, one of
        // 256: without its idle record buffers it costs about 9 KB less (256 such: 24.6 MB peak, not 27.0).
        // A link keeps them (TlsSession.KeepBuffers): freeing and taking them again around each record is for idle sessions.
        OpenSsl.SSL_ctrl(ssl, OpenSsl.SSL_CTRL_MODE, OpenSsl.SSL_MODE_RELEASE_BUFFERS, 0);
        return new TlsSession(ssl, pin: null);
    }

    /// <summary>Reads the certificate and key files again for the sessions made from now on; throws, keeping the current ones, when they do not load.</summary>
    public void Reload()
    {
        SafeSslContextHandle loaded = Load(CertificateFile, KeyFile);
        SafeSslContextHandle previous;
        lock (_swap)
        {
            previous = _current;
            _current = loaded;
        }

        previous.Dispose();   // our reference only: sessions made from it hold their own
    }

    public void Dispose()
    {
        lock (_swap)
        {
            _current.Dispose();
        }
    }

    private static SafeSslContextHandle Load(string certificateFile, string keyFile)
    {
        SslContexts.RequireFile(certificateFile, "certificate file");
        SslContexts.RequireFile(keyFile, "key file");
        SafeSslContextHandle context = SslContexts.New(server: true);
        try
        {
            SslContexts.Check(OpenSsl.SSL_CTX_use_certificate_chain_file(context, certificateFile), $"cannot load certificate '{certificateFile}'");
            // Loading the key also checks it against the certificate: OpenSSL's reason tells "key values mismatch" from a bad file.
            SslContexts.Check(
                OpenSsl.SSL_CTX_use_PrivateKey_file(context, keyFile, OpenSsl.SSL_FILETYPE_PEM), $"cannot use key '{keyFile}' with certificate '{certificateFile}'");
            SslContexts.Check(OpenSsl.SSL_CTX_check_private_key(context), $"key '{keyFile}' does not match certificate '{certificateFile}'");
            SslContexts.Check(OpenSsl.SSL_CTX_set_num_tickets(context, 0), "cannot turn session tickets off");   // no resumption: tickets would be bytes for nothing
            OpenSsl.SSL_CTX_set_verify(context, OpenSsl.SSL_VERIFY_NONE, 0);
            return context;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }
}
