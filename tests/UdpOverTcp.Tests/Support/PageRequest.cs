using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace UdpOverTcp.Tests.Support;

/// <summary>GET of a web page (a 2xx is required), over TLS 1.3 only and trusting exactly one certificate when given one; returns the body.</summary>
public static class PageRequest
{
    public static async Task<string> GetAsync(string url, CertificateFiles? trusted = null)
    {
        var handler = new SocketsHttpHandler();
        if (trusted is not null)
        {
            using var expected = X509CertificateLoader.LoadCertificateFromFile(trusted.Certificate);
            string thumbprint = expected.Thumbprint;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate?.GetCertHashString() == thumbprint,
            };
        }

        using var http = new HttpClient(handler) { Timeout = Guard.Timeout };
        using var response = await http.GetAsync(url).Within($"GET {url}");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
