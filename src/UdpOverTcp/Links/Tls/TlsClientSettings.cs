using System.Net;
using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>
/// The connect side's TLS (<c>--tcp-connect https://HOST/PATH</c>): one SSL_CTX for every link to HOST.
/// The server's certificate is verified against the system's CA store (plus <c>--tls-ca</c>) and a name,
/// or, with a pin (<c>--tls-pin</c>), only compared with the pin. The name sent (SNI) and the name
/// verified are the same one, <c>--tls-sni</c> when given, HOST otherwise: the server picks its
/// certificate by the name sent, so that is the name it must be valid for. An IP address is verified
/// against the certificate's IP entries and sent as no SNI at all (RFC 6066 allows host names only).
/// </summary>
public sealed class TlsClientSettings : IDisposable
{
    private readonly SafeSslContextHandle _context;

    /// <param name="host">HOST of the URL: a name or an IP address.</param>
    /// <param name="caFile">A PEM file of CAs trusted besides the system's.</param>
    /// <param name="sniName">The name to send and verify instead of <paramref name="host"/>.</param>
    /// <param name="pin">Accept the server by this hash instead of by CA and name.</param>
    public TlsClientSettings(string host, string? caFile = null, string? sniName = null, TlsPin? pin = null)
    {
        if (pin is not null && caFile is not null)
        {
            throw new ArgumentException("a pin replaces CA verification: give a pin or a CA file, not both", nameof(caFile));
        }

        ServerName = sniName ?? host;
        Pin = pin;
        _context = SslContexts.New(server: false);
        try
        {
            if (pin is null)
            {
                SslContexts.Check(OpenSsl.SSL_CTX_set_default_verify_paths(_context), "cannot use the system's CA store");
                if (caFile is not null)
                {
                    SslContexts.RequireFile(caFile, "CA file");
                    SslContexts.Check(OpenSsl.SSL_CTX_load_verify_locations(_context, caFile, null), $"cannot load CA file '{caFile}'");
                }
            }

            // Verification failures end the handshake (OpenSSL sends the alert); a pin is checked after it, before any data.
            OpenSsl.SSL_CTX_set_verify(_context, pin is null ? OpenSsl.SSL_VERIFY_PEER : OpenSsl.SSL_VERIFY_NONE, 0);
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    /// <summary>The name sent as SNI and verified: <c>--tls-sni</c> or HOST.</summary>
    public string ServerName { get; }

    public TlsPin? Pin { get; }

    /// <summary>A client session for one link, ready for its first <see cref="TlsSession.Handshake"/> step.</summary>
    public TlsSession NewSession()
    {
        SafeSslHandle ssl = SslContexts.NewSsl(_context);
        try
        {
            OpenSsl.SSL_set_connect_state(ssl);
            bool isAddress = IPAddress.TryParse(ServerName, out _);
            if (!isAddress)
            {
                SetSni(ssl, ServerName);
            }

            if (Pin is null)
            {
                SslContexts.Check(
                    isAddress ? OpenSsl.X509_VERIFY_PARAM_set1_ip_asc(OpenSsl.SSL_get0_param(ssl), ServerName) : OpenSsl.SSL_set1_host(ssl, ServerName),
                    $"cannot verify against '{ServerName}'");
            }

            return new TlsSession(ssl, Pin);
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
    }

    public void Dispose() => _context.Dispose();

    /// <summary>SSL_set_tlsext_host_name, a macro over SSL_ctrl; OpenSSL copies the name.</summary>
    private static void SetSni(SafeSslHandle ssl, string name)
    {
        nint native = Marshal.StringToCoTaskMemUTF8(name);
        try
        {
            if (OpenSsl.SSL_ctrl(ssl, OpenSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, OpenSsl.TLSEXT_NAMETYPE_host_name, native) != 1)
            {
                throw new TlsException($"cannot send '{name}' as the server name: {OpenSslErrors.TakeReason("invalid name")}");
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(native);
        }
    }
}
