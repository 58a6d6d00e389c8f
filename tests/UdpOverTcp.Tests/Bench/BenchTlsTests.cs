using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Bench;

/// <summary>
/// bench --tls: the published bench runs its tunnels over TLS 1.3 and the HTTP Upgrade with a
/// throwaway certificate (made by openssl), says so in its report, and leaves no certificate behind.
/// </summary>
[EndToEndTest]
public class BenchTlsTests
{
    /// <summary>At -v the bench says where it put the certificate: "bench: --tls: throwaway certificate and key in DIR, pin sha256:...".</summary>
    private const string WhereTag = "throwaway certificate and key in ";

    [Fact]
    public async Task Tls_tunnels_deliver_the_report_says_tls_and_the_certificate_is_gone_afterwards()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync("--tls", "--size", "1200", "--duration", "0.3", "--rate", "2000", "--json", "-v");

        Assert.True(code == 0, $"exit {code}: {string.Join('\n', stderr)}");
        string where = Assert.Single(stderr, line => line.Contains(WhereTag, StringComparison.Ordinal));
        int start = where.IndexOf(WhereTag, StringComparison.Ordinal) + WhereTag.Length;
        string directory = where[start..where.IndexOf(", pin sha256:", start, StringComparison.Ordinal)];
        Assert.StartsWith(ThrowawayCertificate.DirectoryPrefix, Path.GetFileName(directory));
        Assert.False(Directory.Exists(directory), $"{directory} is still there");

        using var json = JsonDocument.Parse(stdout);
        var settings = json.RootElement.GetProperty("settings");
        Assert.True(settings.GetProperty("tls").GetBoolean());
        Assert.Equal("2 child processes on loopback over TLS 1.3 (--tls)", settings.GetProperty("tunnels").GetString());
        var tunnel = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray()).GetProperty("tunnel").GetProperty("trial");
        Assert.True(tunnel.GetProperty("sent").GetInt64() > 0);
        Assert.True(tunnel.GetProperty("delivered").GetInt64() > 0, "nothing crossed the TLS tunnel");
        Assert.True(tunnel.GetProperty("tunnelCpuSecondsPerMillion").GetDouble() > 0);
        foreach (string field in new[] { "corrupted", "duplicated", "reordered" })
        {
            Assert.Equal(0, tunnel.GetProperty(field).GetInt64());
        }

        Assert.True(json.RootElement.GetProperty("latency").GetProperty("tunnel").GetProperty("roundTrips").GetInt32() > 0);
    }

    [Fact]
    public async Task Tls_with_external_is_a_usage_error()
    {
        var (code, stdout, stderr) = await TunnelProcess.RunBenchAsync("--tls", "--external", "7002", "7000");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                "udp-over-tcp-bench: --tls gives the tunnels the bench starts a throwaway certificate; with --external it starts none (give yours --tls-cert and https:// where you start them)",
                "Try 'udp-over-tcp-bench --help' for more information.",
            ],
            stderr);
    }

    [Fact]
    public void The_throwaway_certificate_is_p256_for_loopback_for_a_day_pinned_by_its_der_hash_in_a_private_directory()
    {
        string directory;
        using (var tls = ThrowawayCertificate.Create())
        {
            directory = tls.Directory;
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            }

            using var certificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
            using var key = certificate.GetECDsaPublicKey();
            Assert.Equal(ECCurve.NamedCurves.nistP256.Oid.Value, key!.ExportParameters(false).Curve.Oid.Value);
            Assert.True(certificate.HasPrivateKey);
            Assert.Equal("CN=127.0.0.1", certificate.Subject);
            var names = Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
            Assert.Equal(["127.0.0.1", "::1"], names.EnumerateIPAddresses().Select(a => a.ToString()));
            Assert.Equal(["localhost"], names.EnumerateDnsNames());
            Assert.InRange(certificate.NotAfter - certificate.NotBefore, TimeSpan.FromHours(23), TimeSpan.FromHours(25));
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), tls.Pin);
        }

        Assert.False(Directory.Exists(directory));
    }
}
