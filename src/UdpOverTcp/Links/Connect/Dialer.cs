using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Links.Connect.Proxy;
using UdpOverTcp.DataPath.Link;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Links.Setup;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Sessions;

namespace UdpOverTcp.Links.Connect;

/// <summary>
/// The connect side's link source: dials --tcp-connect (a name resolved again each time, every address
/// tried; through --proxy when given) and, with a secret, runs the handshake, hands
/// the connected socket over, waits until that link has ended, and dials again: at once after a link
/// that worked, with capped exponential backoff and jitter after one that failed. No failure ends it;
/// only cancellation does.
/// </summary>
public sealed class Dialer(TunnelOptions options, LinkAuthenticator? auth, TunnelStats stats, Func<Socket, string, TlsLinkCodec?, Task> runLink)
{
    /// <summary>A link that stayed up this long was healthy: the next failure starts backoff from the beginning.</summary>
    private static readonly TimeSpan HealthyLinkTime = TimeSpan.FromSeconds(1);

    /// <summary>What the connect side dials, for log lines: "server.example:443" or "server.example:443 via http proxy 10.0.0.1:3128".</summary>
    public static string Describe(TunnelOptions options) =>
        (options.UpgradeHost is { } host ? $"{(options.Tls ? "https" : "http")}://{host}{options.UpgradePath}" : ProxyUri.Format(options.ConnectTarget!)) + (options.Proxy is { } proxy ? $" via {proxy}" : "");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = Backoff.Default();
        string target = Describe(options);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket? socket = null;
            TlsSetupChannel? tls = null;
            string? failure = null;
            try
            {
                (socket, tls) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                failure = await AuthenticateAsync(socket, tls, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                // Out of descriptors (EMFILE) lands here too, from the socket's creation: retried like the rest.
                failure = options.Proxy is null ? e.Message : $"cannot reach the proxy: {e.Message}";
            }
            catch (Exception e) when (e is ResolveException or ProxyException or UpgradeRefusedException or TlsException)
            {
                failure = e.Message;
            }
            catch (PhaseTimedOut e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = e.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = "timed out";
            }

            if (failure is not null)
            {
                socket?.Dispose();
                tls?.Session.Dispose();
                Interlocked.Increment(ref stats.LinkFailures);
                var delay = backoff.Next();
                Log.Warn($"connect to {target} failed: {failure}; retrying in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            long framesBefore = FramesFromPeer();
            // What the set-up decrypted past its own bytes is the link's first input.
            await runLink(socket!, Peer(socket!), tls is null ? null : new TlsLinkCodec(tls.Session, tls.Leftover)).WaitAsync(cancellationToken).ConfigureAwait(false);
            // A link that carried a frame or stayed up had a real tunnel end behind it: after it ends
            // (a peer restart), redial at once. Only a peer that accepts and drops keeps backing off.
            if (FramesFromPeer() > framesBefore || Stopwatch.GetElapsedTime(started) >= HealthyLinkTime)
            {
                backoff.Reset();
            }

            var retry = backoff.Next();
            Log.Debug($"reconnecting in {retry.TotalMilliseconds:0} ms");
            await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt, all within --connect-timeout: resolve the first hop (the target, or the proxy) again,
    /// connect to the first of its addresses that answers (<see cref="HappyEyeballs"/>), and through a
    /// proxy, its handshake, on a set-up thread with blocking calls as the rest of the set-up.
    /// </summary>
    private async Task<(Socket Socket, TlsSetupChannel? Tls)> ConnectAsync(CancellationToken cancellationToken)
    {
        var deadline = options.ConnectTimeout;
        long started = Stopwatch.GetTimestamp();
        var firstHop = options.Proxy?.Server ?? options.ConnectTarget!;
        IPAddress[] addresses;
        if (firstHop is IPEndPoint address)
        {
            addresses = [address.Address];
        }
        else
        {
            try
            {
                // getaddrinfo blocks; a resolver that hangs must not hold the attempt past its deadline.
                addresses = await Task.Run(() => Resolver.Resolve(firstHop), CancellationToken.None).WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new PhaseTimedOut($"timed out resolving {((HostNameEndPoint)firstHop).Host}");
            }
        }

        int port = firstHop is HostNameEndPoint name ? name.Port : ((IPEndPoint)firstHop).Port;
        Socket socket;
        try
        {
            socket = await HappyEyeballs.ConnectAsync(
                addresses, port, family => SocketSetup.NewTcp(family, options), deadline - Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && options.Proxy is not null)
        {
            throw new PhaseTimedOut("timed out connecting to the proxy");
        }

        if (options.Proxy is not { } proxy)
        {
            return await UpgradeAsync(socket, deadline - Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }

        Log.Debug($"connected to {proxy} at {socket.RemoteEndPoint}; asking it for {ProxyUri.Format(options.ConnectTarget!)}");
        await SetUpAsync(socket, deadline - Stopwatch.GetElapsedTime(started), cancellationToken, s =>
        {
            if (proxy.Kind == ProxyKind.HttpConnect)
            {
                HttpConnectProxy.Connect(s, options.ConnectTarget!, proxy.UserName, proxy.Password);
            }
            else
            {
                Socks5Proxy.Connect(s, options.ConnectTarget!, proxy.UserName, proxy.Password);
            }
        }, "the proxy did not finish its handshake", e => new ProxyException($"the proxy closed the connection during its handshake: {e.Message}")).ConfigureAwait(false);
        return await UpgradeAsync(socket, deadline - Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// With --tcp-connect http://..., the HTTP Upgrade (within what is left of --connect-timeout); with https://, the
    /// TLS handshake first and the Upgrade through it (the channel the link goes on with); the socket as it was without.
    /// </summary>
    private async Task<(Socket Socket, TlsSetupChannel? Tls)> UpgradeAsync(Socket socket, TimeSpan remaining, CancellationToken cancellationToken)
    {
        if (options.UpgradePath is not { } path)
        {
            return (socket, null);
        }

        var tls = options.TlsClient is { } settings ? new TlsSetupChannel(socket, settings.NewSession()) : null;
        try
        {
            await SetUpAsync(socket, remaining, cancellationToken, s =>
            {
                tls?.Handshake();   // a deadline closes the socket, which ends it
                UpgradeClient.Upgrade(tls ?? (ISetupChannel)new SocketChannel(s), options.UpgradeHost!, path);
            }, tls is null ? "no http upgrade answer" : "no TLS handshake and http upgrade answer",
            e => new UpgradeRefusedException($"the server closed the connection before its answer ({e.Message})")).ConfigureAwait(false);
        }
        catch
        {
            tls?.Session.Dispose();
            throw;
        }

        return (socket, tls);
    }

    /// <summary>
    /// A set-up step after the connect (the proxy's handshake, the HTTP Upgrade) with blocking calls, within
    /// <paramref name="remaining"/> of --connect-timeout; on failure the socket is closed and the failure worded:
    /// "<paramref name="unfinished"/> within --connect-timeout (N s)", or <paramref name="closedEarly"/>'s.
    /// </summary>
    private async Task SetUpAsync(Socket socket, TimeSpan remaining, CancellationToken cancellationToken, Action<Socket> step, string unfinished, Func<SocketException, Exception> closedEarly)
    {
        try
        {
            await BlockingSetup.RunAsync(socket, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken, s =>
            {
                step(s);
                return true;
            }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new PhaseTimedOut($"{unfinished} within --connect-timeout ({options.ConnectTimeout.TotalSeconds:0.###} s)");
            }

            if (e is SocketException se)
            {
                throw closedEarly(se);
            }

            throw;
        }
    }

    /// <summary>The link's peer as `link up` and the statistics line show it.</summary>
    private string Peer(Socket socket)
    {
        string remote = socket.RemoteEndPoint?.ToString() ?? "?";
        return options.Proxy is { } proxy
            ? $"{ProxyUri.Format(options.ConnectTarget!)} via {proxy.Scheme} proxy {remote}"
            : options.TcpConnectName is { } name ? $"{name.Host}:{name.Port} ({remote})" : remote;
    }

    /// <summary>A phase of the attempt ran out of --connect-timeout; the message says which.</summary>
    private sealed class PhaseTimedOut(string message) : Exception(message);

    /// <summary>Null when the link may start (authenticated, or no secret); otherwise why not, for the log line.</summary>
    private async Task<string?> AuthenticateAsync(Socket socket, TlsSetupChannel? tls, CancellationToken cancellationToken)
    {
        if (auth is null)
        {
            return null;
        }

        var outcome = await auth.AuthenticateAsync(socket, tls ?? (ISetupChannel)new SocketChannel(socket), TcpRole.Connect, cancellationToken).ConfigureAwait(false);
        if (outcome == HandshakeOutcome.Authenticated)
        {
            return null;
        }

        if (outcome is HandshakeOutcome.ProofMismatch or HandshakeOutcome.NotAHello)
        {
            Interlocked.Increment(ref stats.AuthFailures);
        }

        return auth.DescribeForConnectSide(outcome);
    }

    private long FramesFromPeer() => Interlocked.Read(ref stats.UdpSent) + Interlocked.Read(ref stats.UdpSendErrors);
}
