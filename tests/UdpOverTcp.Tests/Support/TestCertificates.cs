using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.Tests.Support;

/// <summary>A certificate and its private key, as PEM files.</summary>
public sealed record CertificateFiles(string Certificate, string Key)
{
    /// <summary>--tls-pin's value for this certificate: the hash of the certificate, or of its public key.</summary>
    public string Pin(bool publicKey = false)
    {
        using var certificate = X509Certificate2.CreateFromPemFile(Certificate, Key);
        return TlsPin.Format(SHA256.HashData(publicKey ? certificate.PublicKey.ExportSubjectPublicKeyInfo() : certificate.RawData));
    }
}

/// <summary>
/// Certificates for TLS tests, made with the openssl CLI (P-256 keys) in a temp dir of their own,
/// removed on Dispose: self-signed, a CA and a server certificate it signed, and an expired one.
/// Every server certificate is for CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1.
/// No openssl is a skip, or a failure where peers are required (<see cref="RequiredPeers"/>).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private const string ServerNames = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    private static readonly string[] NewP256Key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

    private readonly string _openssl;
    private int _count;

    public TestCertificates()
    {
        _openssl = RequiredPeers.Program("openssl", "openssl");
        Directory = System.IO.Directory.CreateTempSubdirectory("uot-certs-").FullName;
    }

    public string Directory { get; }

    /// <summary>A self-signed server certificate, valid from now for <paramref name="days"/> days.</summary>
    public CertificateFiles SelfSigned(int days = 2)
    {
        var files = NewFiles("self-signed");
        OpenSsl(["req", "-x509", .. NewP256Key, "-days", days.ToString(), "-subj", "/CN=localhost", "-addext", ServerNames,
            "-keyout", files.Key, "-out", files.Certificate]);
        return files;
    }

    /// <summary>A CA certificate (basicConstraints CA:TRUE, keyCertSign), self-signed.</summary>
    public CertificateFiles Authority(string name = "UdpOverTcp test CA", int days = 2)
    {
        var files = NewFiles("ca");
        OpenSsl(["req", "-x509", .. NewP256Key, "-days", days.ToString(), "-subj", $"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", files.Key, "-out", files.Certificate]);
        return files;
    }

    /// <summary>A server certificate signed by <paramref name="authority"/>, valid from now for <paramref name="days"/> days.</summary>
    public CertificateFiles SignedBy(CertificateFiles authority, int days = 2) => Sign(authority, "server", days);

    /// <summary>
    /// A server certificate signed by <paramref name="authority"/> that has expired: OpenSSL 3.0 (Debian 12)
    /// has no -not_after, so it is made with `openssl x509 -req -days -1`: valid from now until this time
    /// yesterday. `openssl verify` says "certificate has expired" (error 10), as a verifier checking the
    /// end date does.
    /// </summary>
    public CertificateFiles Expired(CertificateFiles authority) => Sign(authority, "expired", days: -1);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private CertificateFiles Sign(CertificateFiles authority, string kind, int days)
    {
        var files = NewFiles(kind);
        string request = Path.ChangeExtension(files.Certificate, ".csr");
        string extensions = Path.ChangeExtension(files.Certificate, ".ext");
        File.WriteAllText(extensions, $"{ServerNames}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n");
        OpenSsl(["req", "-new", .. NewP256Key, "-subj", "/CN=localhost", "-keyout", files.Key, "-out", request]);
        string serial = "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));   // no serial file beside the CA
        OpenSsl(["x509", "-req", "-in", request, "-CA", authority.Certificate, "-CAkey", authority.Key, "-set_serial", serial,
            "-days", days.ToString(), "-extfile", extensions, "-out", files.Certificate]);
        return files;
    }

    private CertificateFiles NewFiles(string kind)
    {
        string stem = Path.Combine(Directory, $"{kind}-{Interlocked.Increment(ref _count)}");
        return new CertificateFiles(stem + ".crt", stem + ".key");
    }

    private void OpenSsl(string[] args) => Command.RunChecked("the openssl CLI makes the test certificates", _openssl, args);
}
