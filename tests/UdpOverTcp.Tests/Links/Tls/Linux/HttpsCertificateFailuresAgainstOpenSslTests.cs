using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The published connect side (--tcp-connect https://) against <c>openssl s_server -tls1_3</c>, for each
/// certificate failure: a wrong name, an expired certificate, an unknown CA, a pin that does not match.
/// The binary must log one line with the reason, retry with a longer delay, never bring a link up, and
/// never send s_server a byte of plaintext: under -quiet, s_server's stdout is exactly what it decrypted,
/// and with -naccept 2 it exits after the first attempt and the retry, so that stdout ends and is read whole.
/// (HttpsConnectTests covers the same failures against nginx, which logs requests rather than bytes.)
/// </summary>
[EndToEndTest]
[NeedsLinux]
public sealed partial class HttpsCertificateFailuresAgainstOpenSslTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    [Theory]
    [InlineData("name")]
    [InlineData("expired")]
    [InlineData("unknown-ca")]
    [InlineData("pin")]
    public async Task The_failure_is_one_line_retried_with_backoff_and_no_plaintext_reaches_the_server(string failure)
    {
        var (served, verification, reason) = Case(failure);
        int port = FreePort.Tcp();
        using var server = await OpenSslPeer.ServerAsync(port, served, "-naccept", "2");
        var received = ReadToEndAsync(server.Output);
        string url = $"https://localhost:{port}/tunnel";
        using var connectSide = TunnelProcess.Start(["--tcp-connect", url, .. verification, "-u", "127.0.0.1:0", "-p", "9"]);

        string expected = $"connect to {url} failed: {reason}; retrying in ";
        string first = await connectSide.WaitForLineAsync(expected);
        string second = await connectSide.WaitForLineAsync(expected, occurrence: 2);
        byte[] plaintext = await received.Within("s_server's stdout to end after its two connections");
        string stderr = await server.Stderr.Within("s_server's stderr to end");

        // Backoff: 100 ms then 200 ms, each ±20 %: 0.08-0.12 s prints as 0.1, 0.16-0.24 s as 0.2, so the second is surely longer.
        Assert.True(Delay(second) > Delay(first), $"the retry's delay did not grow:\n{first}\n{second}");
        Assert.DoesNotContain(connectSide.Lines, l => l.Contains("link up", StringComparison.Ordinal));
        Assert.True(plaintext.Length == 0, $"s_server decrypted {plaintext.Length} bytes: {Encoding.ASCII.GetString(plaintext)}\nits stderr: {stderr}");
    }

    /// <summary>What s_server presents, what the connect side is told to verify it by, and the reason it gives.</summary>
    private (TestCertificates.Pair Served, string[] Verification, string Reason) Case(string failure) => failure switch
    {
        "name" => (certificates.WrongName, ["--tls-ca", certificates.Ca.Certificate], "certificate verify failed: hostname mismatch"),
        "expired" => (certificates.Expired, ["--tls-ca", certificates.Ca.Certificate], "certificate verify failed: certificate has expired"),
        "unknown-ca" => (certificates.Server, [], "certificate verify failed: unable to get local issuer certificate"),
        "pin" => (certificates.Server, ["--tls-pin", TlsPin.Format(certificates.SelfSignedServer.CertificateSha256)],
            $"pin mismatch: got {TlsPin.Format(certificates.Server.CertificateSha256)} (certificate), "
            + $"{TlsPin.Format(certificates.Server.PublicKeySha256)} (public key), want {TlsPin.Format(certificates.SelfSignedServer.CertificateSha256)}"),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    /// <summary>The seconds of the line's "; retrying in X.X s".</summary>
    private static double Delay(string line)
    {
        var match = RetryDelay().Match(line);
        Assert.True(match.Success, $"no '; retrying in X.X s' at the end of: {line}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    [GeneratedRegex(@"; retrying in (\d+\.\d) s$")]
    private static partial Regex RetryDelay();
}
