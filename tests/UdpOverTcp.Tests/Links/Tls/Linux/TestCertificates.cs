using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// Certificates made with the openssl CLI in a temporary folder, once per test class: a CA and, signed
/// by it, a server certificate for localhost and 127.0.0.1, an expired one (<c>x509 -req -days -1</c>:
/// OpenSSL 3.0 has no -not_before, and a notAfter a day before notBefore is what "expired" checks),
/// one for another name, one for sni.example and a second localhost one (for reload); plus a self-signed one.
/// EC P-256 keys: quick to make.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private const string Hint = "the openssl CLI (apt install openssl)";

    public TestCertificates()
    {
        Folder = Directory.CreateTempSubdirectory("udp-over-tcp-tls-").FullName;
        Ca = SelfSigned("ca", "/CN=UdpOverTcp Test CA", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
        Server = Signed("server", "localhost", "DNS:localhost,IP:127.0.0.1", days: 2);
        Expired = Signed("expired", "localhost", "DNS:localhost,IP:127.0.0.1", days: -1);
        WrongName = Signed("wrong-name", "other.example", "DNS:other.example", days: 2);
        Sni = Signed("sni", "sni.example", "DNS:sni.example", days: 2);
        SecondServer = Signed("second-server", "localhost", "DNS:localhost,IP:127.0.0.1", days: 2);
        SelfSignedServer = SelfSigned("self-signed", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    }

    public string Folder { get; }

    public Pair Ca { get; }

    public Pair Server { get; }

    public Pair Expired { get; }

    public Pair WrongName { get; }

    public Pair Sni { get; }

    public Pair SecondServer { get; }

    public Pair SelfSignedServer { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private Pair SelfSigned(string name, string subject, string extensions)
    {
        var pair = new Pair(Path.Combine(Folder, name + ".pem"), Path.Combine(Folder, name + ".key"));
        string extFile = WriteExtensions(name, extensions);
        Command.RunChecked(Hint, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", pair.Key, "-out", pair.Certificate, "-subj", subject, "-days", "2", "-extensions", "v3", "-config", extFile);
        return pair;
    }

    private Pair Signed(string name, string commonName, string subjectAltName, int days)
    {
        var pair = new Pair(Path.Combine(Folder, name + ".pem"), Path.Combine(Folder, name + ".key"));
        string request = Path.Combine(Folder, name + ".csr");
        Command.RunChecked(Hint, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", pair.Key, "-out", request, "-subj", "/CN=" + commonName);
        string extFile = Path.Combine(Folder, name + ".ext");
        File.WriteAllText(extFile, $"subjectAltName={subjectAltName}\n");
        Command.RunChecked(Hint, "openssl", "x509", "-req", "-in", request, "-CA", Ca.Certificate, "-CAkey", Ca.Key, "-CAcreateserial",
            "-out", pair.Certificate, "-days", days.ToString(System.Globalization.CultureInfo.InvariantCulture), "-extfile", extFile);
        return pair;
    }

    /// <summary>A minimal req config: req -x509 takes its extensions from a config section.</summary>
    private string WriteExtensions(string name, string extensions)
    {
        string path = Path.Combine(Folder, name + ".cnf");
        File.WriteAllText(path, "[req]\ndistinguished_name=dn\n[dn]\n[v3]\n" + extensions);
        return path;
    }

    /// <summary>A certificate file and its key file, PEM.</summary>
    public sealed record Pair(string Certificate, string Key)
    {
        /// <summary>The certificate's DER SHA-256, computed by .NET, not by the code under test.</summary>
        public byte[] CertificateSha256 => SHA256.HashData(Load().RawData);

        /// <summary>The SubjectPublicKeyInfo's DER SHA-256.</summary>
        public byte[] PublicKeySha256 => SHA256.HashData(Load().PublicKey.ExportSubjectPublicKeyInfo());

        private X509Certificate2 Load() => X509CertificateLoader.LoadCertificateFromFile(Certificate);
    }
}
