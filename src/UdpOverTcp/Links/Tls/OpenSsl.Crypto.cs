using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>
/// The libcrypto half: memory BIOs, certificates, digests, the error queue. Named by libcrypto.so.3,
/// which libssl.so.3 needs and so has loaded already; loaded the same way, at the first call.
/// </summary>
public static unsafe partial class OpenSsl
{
    public const string CryptoLibrary = "libcrypto.so.3";

    public const int Sha256Length = 32;

    [LibraryImport(CryptoLibrary)]
    public static partial nint BIO_s_mem();

    [LibraryImport(CryptoLibrary)]
    public static partial nint BIO_new(nint method);

    [LibraryImport(CryptoLibrary)]
    public static partial int BIO_free(nint bio);

    [LibraryImport(CryptoLibrary)]
    public static partial int BIO_read(nint bio, byte* buffer, int length);

    [LibraryImport(CryptoLibrary)]
    public static partial int BIO_write(nint bio, byte* buffer, int length);

    [LibraryImport(CryptoLibrary)]
    public static partial nuint BIO_ctrl_pending(nint bio);

    [LibraryImport(CryptoLibrary)]
    public static partial int X509_VERIFY_PARAM_set1_ip_asc(nint param, [MarshalAs(UnmanagedType.LPUTF8Str)] string ip);

    [LibraryImport(CryptoLibrary)]
    public static partial nint X509_verify_cert_error_string(long error);

    [LibraryImport(CryptoLibrary)]
    public static partial void X509_free(nint x509);

    /// <summary>i2d_X509 with a null output: the DER length only; with a pointer to a buffer: writes there and advances it.</summary>
    [LibraryImport(CryptoLibrary)]
    public static partial int i2d_X509(SafeX509Handle x509, byte** output);

    /// <summary>The certificate's SubjectPublicKeyInfo, owned by the certificate (get, not get1: not freed).</summary>
    [LibraryImport(CryptoLibrary)]
    public static partial nint X509_get_X509_PUBKEY(SafeX509Handle x509);

    [LibraryImport(CryptoLibrary)]
    public static partial int i2d_X509_PUBKEY(nint publicKey, byte** output);

    [LibraryImport(CryptoLibrary)]
    public static partial nint EVP_sha256();

    [LibraryImport(CryptoLibrary)]
    public static partial int EVP_Digest(byte* data, nuint count, byte* digest, out uint digestLength, nint type, nint engine);

    [LibraryImport(CryptoLibrary)]
    public static partial nuint ERR_get_error();

    [LibraryImport(CryptoLibrary)]
    public static partial void ERR_clear_error();

    [LibraryImport(CryptoLibrary)]
    public static partial nint ERR_reason_error_string(nuint error);

    [LibraryImport(CryptoLibrary)]
    public static partial void ERR_error_string_n(nuint error, byte* buffer, nuint length);
}
