using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>An SSL_CTX: freed once, when the last user lets go (SafeHandle counts the calls in flight; OpenSSL counts the SSLs made from it).</summary>
public sealed class SafeSslContextHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.SSL_CTX_free(handle);
        return true;
    }
}

/// <summary>An SSL, with the two memory BIOs it was given (SSL_free frees them too).</summary>
public sealed class SafeSslHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.SSL_free(handle);
        return true;
    }
}

/// <summary>An X509 the caller owns (SSL_get1_peer_certificate's reference).</summary>
public sealed class SafeX509Handle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSsl.X509_free(handle);
        return true;
    }
}
