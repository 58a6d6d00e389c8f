using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>
/// The libssl calls TLS needs, source-generated (<c>LibraryImport</c>): AOT- and trim-safe, nothing
/// allocated per call. libssl.so.3 is found by name with dlopen at the first call, never linked
/// (no DirectPInvoke for it): a system without it runs the tunnel as before, and only asking for TLS
/// fails, with the one message of <see cref="OpenSslLibrary.EnsureLoaded"/>. The macros of ssl.h
/// (SSL_CTX_set_min_proto_version, SSL_set_tlsext_host_name) are the SSL_ctrl calls they expand to.
/// </summary>
public static unsafe partial class OpenSsl
{
    public const string SslLibrary = "libssl.so.3";

    public const int TLS1_3_VERSION = 0x0304;
    public const int SSL_FILETYPE_PEM = 1;
    public const int SSL_VERIFY_NONE = 0;
    public const int SSL_VERIFY_PEER = 1;
    public const int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;

    /// <summary>SSL_ctrl commands (ssl.h): the macros' numbers.</summary>
    public const int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_CLEAR_MODE = 78;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int TLSEXT_NAMETYPE_host_name = 0;

    /// <summary>SSL_MODE_ENABLE_PARTIAL_WRITE is left off: a write to a memory BIO never blocks, so SSL_write_ex takes all of it.</summary>
    public const long SSL_MODE_AUTO_RETRY = 0x4;

    /// <summary>Frees a session's record buffers while they are empty: for handshakes under way, which may stall (see TlsServerContext.NewSession).</summary>
    public const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    /// <summary>SSL_get_error results.</summary>
    public const int SSL_ERROR_NONE = 0;
    public const int SSL_ERROR_SSL = 1;
    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_WANT_WRITE = 3;
    public const int SSL_ERROR_SYSCALL = 5;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    /// <summary>X509_V_OK: SSL_get_verify_result when the chain verified.</summary>
    public const long X509_V_OK = 0;

    [LibraryImport(SslLibrary)]
    public static partial nint TLS_client_method();

    [LibraryImport(SslLibrary)]
    public static partial nint TLS_server_method();

    [LibraryImport(SslLibrary)]
    public static partial SafeSslContextHandle SSL_CTX_new(nint method);

    [LibraryImport(SslLibrary)]
    public static partial void SSL_CTX_free(nint ctx);

    [LibraryImport(SslLibrary)]
    public static partial long SSL_CTX_ctrl(SafeSslContextHandle ctx, int cmd, long larg, nint parg);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_CTX_set_default_verify_paths(SafeSslContextHandle ctx);

    [LibraryImport(SslLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_load_verify_locations(SafeSslContextHandle ctx, string? caFile, string? caPath);

    [LibraryImport(SslLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_certificate_chain_file(SafeSslContextHandle ctx, string file);

    [LibraryImport(SslLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_CTX_use_PrivateKey_file(SafeSslContextHandle ctx, string file, int type);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_CTX_check_private_key(SafeSslContextHandle ctx);

    [LibraryImport(SslLibrary)]
    public static partial void SSL_CTX_set_verify(SafeSslContextHandle ctx, int mode, nint callback);

    /// <summary>No session tickets: the tunnel does not resume sessions, so they would be bytes for nothing after each handshake.</summary>
    [LibraryImport(SslLibrary)]
    public static partial int SSL_CTX_set_num_tickets(SafeSslContextHandle ctx, nuint count);

    [LibraryImport(SslLibrary)]
    public static partial SafeSslHandle SSL_new(SafeSslContextHandle ctx);

    [LibraryImport(SslLibrary)]
    public static partial void SSL_free(nint ssl);

    [LibraryImport(SslLibrary)]
    public static partial void SSL_set_connect_state(SafeSslHandle ssl);

    [LibraryImport(SslLibrary)]
    public static partial void SSL_set_accept_state(SafeSslHandle ssl);

    [LibraryImport(SslLibrary)]
    public static partial long SSL_ctrl(SafeSslHandle ssl, int cmd, long larg, nint parg);

    [LibraryImport(SslLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SSL_set1_host(SafeSslHandle ssl, string hostName);

    [LibraryImport(SslLibrary)]
    public static partial nint SSL_get0_param(SafeSslHandle ssl);

    /// <summary>The SSL takes both BIOs over: SSL_free frees them.</summary>
    [LibraryImport(SslLibrary)]
    public static partial void SSL_set_bio(SafeSslHandle ssl, nint readBio, nint writeBio);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_do_handshake(SafeSslHandle ssl);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_read_ex(SafeSslHandle ssl, byte* buffer, nuint count, out nuint read);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_write_ex(SafeSslHandle ssl, byte* buffer, nuint count, out nuint written);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_shutdown(SafeSslHandle ssl);

    [LibraryImport(SslLibrary)]
    public static partial int SSL_get_error(SafeSslHandle ssl, int result);

    [LibraryImport(SslLibrary)]
    public static partial long SSL_get_verify_result(SafeSslHandle ssl);

    [LibraryImport(SslLibrary)]
    public static partial SafeX509Handle SSL_get1_peer_certificate(SafeSslHandle ssl);
}
