namespace UdpOverTcp.Links.Tls;

/// <summary>The SSL_CTX set-up the client and the server share: TLS 1.3 only, errors as one line.</summary>
public static class SslContexts
{
    /// <summary>
    /// A client or server context that speaks TLS 1.3 only. Both ends are this tunnel, or a TLS-terminating proxy, all of which speak 1.3; 1.2
    /// would add renegotiation and the CBC suites for nobody.
    /// </summary>
    public static SafeSslContextHandle New(bool server)
    {
        OpenSslLibrary.EnsureLoaded();   // before the first OpenSSL call, TLS_*_method included: its DllNotFoundException would say less
        SafeSslContextHandle context = OpenSsl.SSL_CTX_new(server ? OpenSsl.TLS_server_method() : OpenSsl.TLS_client_method());
        if (context.IsInvalid)
        {
            context.Dispose();
            throw new TlsException("cannot make a TLS context: " + OpenSslErrors.TakeReason("SSL_CTX_new failed"));
        }

        if (OpenSsl.SSL_CTX_ctrl(context, OpenSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, OpenSsl.TLS1_3_VERSION, 0) != 1)
        {
            context.Dispose();
            throw new TlsException("this OpenSSL cannot do TLS 1.3: " + OpenSslErrors.TakeReason("SSL_CTX_set_min_proto_version failed"));
        }

        return context;
    }

    /// <summary>An SSL from <paramref name="context"/> (which it holds a reference to: freeing the context later leaves it working).</summary>
    public static SafeSslHandle NewSsl(SafeSslContextHandle context)
    {
        SafeSslHandle ssl = OpenSsl.SSL_new(context);
        if (ssl.IsInvalid)
        {
            ssl.Dispose();
            throw new TlsException("cannot make a TLS session: " + OpenSslErrors.TakeReason("SSL_new failed"));
        }

        return ssl;
    }

    /// <summary>Throws, naming <paramref name="what"/> and OpenSSL's reason, when <paramref name="result"/> is not 1.</summary>
    public static void Check(int result, string what)
    {
        if (result != 1)
        {
            throw new TlsException($"{what}: {OpenSslErrors.TakeReason("failed")}");
        }
    }

    /// <summary>A file OpenSSL is about to read: "no such file" in our words rather than its "system library" ones.</summary>
    public static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new TlsException($"{what} '{path}' does not exist");
        }
    }
}
