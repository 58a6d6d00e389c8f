using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>The certificates <see cref="TestCertificates"/> makes are what they say, by `openssl verify`.</summary>
[EndToEndTest]
public sealed class TestCertificatesTests
{
    [SkippableFact]
    public void A_CA_signed_certificate_verifies_an_expired_one_does_not_and_a_self_signed_one_verifies_against_itself()
    {
        using var certificates = new TestCertificates();
        var authority = certificates.Authority();
        var server = certificates.SignedBy(authority);
        var expired = certificates.Expired(authority);
        var selfSigned = certificates.SelfSigned();

        Assert.Equal(0, Verify(authority, server).ExitCode);
        var (expiredCode, expiredOutput) = Verify(authority, expired);
        Assert.NotEqual(0, expiredCode);
        Assert.Contains("certificate has expired", expiredOutput);
        Assert.Equal(0, Verify(selfSigned, selfSigned).ExitCode);
        Assert.NotEqual(0, Verify(authority, selfSigned).ExitCode);
        Assert.Contains("IP Address:127.0.0.1", Command.RunChecked("openssl x509", "openssl", "x509", "-in", server.Certificate, "-noout", "-ext", "subjectAltName"));
    }

    private static (int ExitCode, string Output) Verify(CertificateFiles authority, CertificateFiles certificate)
    {
        var (code, stdout, stderr) = Command.Run("openssl", "verify", "-CAfile", authority.Certificate, certificate.Certificate);
        return (code, stdout + stderr);
    }
}
