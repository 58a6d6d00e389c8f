using UdpOverTcp.Auth;
using UdpOverTcp.Links.Tls;

namespace UdpOverTcp.Links.Listen;

/// <summary>
/// What an accepted connection goes through before it is the link, in this order: TLS (--tls-cert), the
/// HTTP Upgrade (--http-upgrade), the secret's handshake (--secret-file); each may be absent. With none, a
/// connection is the link at once.
/// </summary>
/// <param name="Timeout">The time a connection has from its accept to being the link.</param>
public sealed record ListenSteps(TlsServerContext? Tls, string? UpgradePath, LinkAuthenticator? Auth, TimeSpan Timeout)
{
    /// <summary>Whether the connect side speaks first: then a connection waits for its bytes before it is the link.</summary>
    public bool Any => Tls is not null || UpgradePath is not null || Auth is not null;
}
