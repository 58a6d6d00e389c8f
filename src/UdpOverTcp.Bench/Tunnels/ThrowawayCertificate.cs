using UdpOverTcp.Bench.Cli;
using UdpOverTcp.Bench.Platform;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>
/// bench --tls: a self-signed certificate and its key, made for one run and gone after it. ECDSA
/// P-256 (the cheapest handshake, and what certbot issues by default), for 127.0.0.1, ::1 and
/// localhost, valid for a day. The PEM files live in a temp directory of their own, mode 0700 (which
/// keeps the key private whatever mode openssl gives the file), and <see cref="Dispose"/> deletes it;
/// the bench disposes it after the tunnels, whatever ends the run (Ctrl+C and SIGTERM end it through
/// the cancellation token, so the disposal still runs).
/// </summary>
/// <remarks>
/// Made by <c>openssl req</c> as a child process, not System.Security.Cryptography's CertificateRequest:
/// that pulled its X.509, ASN.1 and PEM code into the Native AOT bench, +1.07 MB (3.30 to 4.40 MB),
/// against +25 KB this way. The tunnel needs OpenSSL's libssl for TLS anyway; the openssl program
/// comes with it nearly everywhere, and where it does not, --tls says so.
/// </remarks>
public sealed class ThrowawayCertificate : IDisposable
{
    /// <summary>The temp directory's name starts with this (the tests look for leftovers by it).</summary>
    public const string DirectoryPrefix = "udp-over-tcp-bench-tls-";

    private const string CertificateName = "cert.pem";
    private const string KeyName = "key.pem";

    private ThrowawayCertificate(string directory, string pin)
    {
        Directory = directory;
        Pin = pin;
    }

    /// <summary>The private temp directory holding both files.</summary>
    public string Directory { get; }

    /// <summary>The certificate, PEM: the listen end's --tls-cert.</summary>
    public string CertificateFile => Path.Combine(Directory, CertificateName);

    /// <summary>The private key, PKCS#8 PEM: the listen end's --tls-key.</summary>
    public string KeyFile => Path.Combine(Directory, KeyName);

    /// <summary>"sha256:HEX" of the certificate's DER: the connect end's --tls-pin (no CA to trust).</summary>
    public string Pin { get; }

    public static ThrowawayCertificate Create()
    {
        string openssl = HostCommand.Find("openssl") ?? throw new BenchException("--tls: the bench makes its throwaway certificate with openssl, which is not on PATH");
        // CreateTempSubdirectory makes it 0700 on Unix; said again so it does not rest on that.
        var directory = System.IO.Directory.CreateTempSubdirectory(DirectoryPrefix);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                directory.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }

            string certificate = Path.Combine(directory.FullName, CertificateName);
            HostCommand.Run(openssl, [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", Path.Combine(directory.FullName, KeyName), "-out", certificate,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"]);
            // "sha256 Fingerprint=AB:CD:...": the DER's SHA-256, written as the tunnel prints pins.
            string fingerprint = HostCommand.Run(openssl, ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"]).Trim();
            string hex = fingerprint[(fingerprint.IndexOf('=') + 1)..].Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
            return new ThrowawayCertificate(directory.FullName, "sha256:" + hex);
        }
        catch
        {
            directory.Delete(recursive: true);
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
