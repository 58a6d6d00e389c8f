using System.Runtime.InteropServices;

namespace UdpOverTcp.Links.Tls;

/// <summary>
/// Whether libssl.so.3 can be loaded, asked once, before the first OpenSSL call: without this, a missing
/// library would surface as a DllNotFoundException from whichever call came first. A static build (the
/// linux-musl-x64 one) cannot dlopen at all and lands here too.
/// </summary>
public static class OpenSslLibrary
{
    private static readonly Lazy<string?> LoadError = new(TryLoad);

    /// <summary>Throws a <see cref="TlsException"/> saying what is missing when libssl.so.3 cannot be loaded.</summary>
    public static void EnsureLoaded()
    {
        if (LoadError.Value is { } error)
        {
            throw new TlsException(error);
        }
    }

    private static string? TryLoad()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "TLS needs OpenSSL 3 (libssl.so.3), which this build loads on Linux only";
        }

        // Both by the names the imports use; the handles stay open for the process's life, as the imports' own would.
        if (NativeLibrary.TryLoad(OpenSsl.SslLibrary, out _) && NativeLibrary.TryLoad(OpenSsl.CryptoLibrary, out _))
        {
            return null;
        }

        return "TLS needs the system's OpenSSL 3 (libssl.so.3), which cannot be loaded: install it (Debian/Ubuntu: libssl3), "
            + "or use a dynamically linked build (a static build, such as linux-musl-x64, cannot load libraries)";
    }
}
