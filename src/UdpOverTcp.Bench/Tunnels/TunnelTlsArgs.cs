using System.Net;

namespace UdpOverTcp.Bench.Tunnels;

/// <summary>
/// How the tunnel ends the bench starts reach each other: plain TCP (<c>-t HOST:PORT</c>), or with
/// bench --tls as the user runs TLS, the listen end terminating TLS 1.3 with the throwaway certificate
/// and taking the HTTP Upgrade to <see cref="UpgradePath"/>, the connect end dialling
/// <c>https://HOST:PORT/bench</c> and trusting the certificate by its pin.
/// </summary>
public static class TunnelTlsArgs
{
    public const string UpgradePath = "/bench";

    /// <summary>What the reports add after how the tunnels ran, with --tls.</summary>
    public const string Described = " over TLS 1.3 (--tls)";

    /// <summary>What the listen end gets besides its own addresses: nothing without TLS.</summary>
    public static string[] Listen(ThrowawayCertificate? tls) =>
        tls is null ? [] : ["--tls-cert", tls.CertificateFile, "--tls-key", tls.KeyFile, "--http-upgrade", UpgradePath];

    /// <summary>How the connect end dials the listen end at <paramref name="listening"/> (an IPv6 address in brackets either way).</summary>
    public static string[] Connect(ThrowawayCertificate? tls, IPEndPoint listening) =>
        tls is null ? ["-t", listening.ToString()] : ["--tcp-connect", $"https://{listening}{UpgradePath}", "--tls-pin", tls.Pin];
}
