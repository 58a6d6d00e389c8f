using System.Diagnostics;
using System.Net.Sockets;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Transport;

/// <summary>
/// The connect side's link source: dials --tcp-connect (and, with a secret, runs the handshake), hands
/// the connected socket over, waits until that link has ended, and dials again: at once after a link
/// that worked, with capped exponential backoff and jitter after one that failed. No failure ends it;
/// only cancellation does.
/// </summary>
internal sealed class Dialer(TunnelOptions options, LinkAuthenticator? auth, TunnelStats stats, Func<Socket, Task> runLink)
{
    /// <summary>A link that stayed up this long was healthy: the next failure starts backoff from the beginning.</summary>
    private static readonly TimeSpan HealthyLinkTime = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = Backoff.Default();
        var endpoint = options.TcpEndpoint!;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket? socket = null;
            string? failure = null;
            try
            {
                socket = SocketSetup.NewTcp(endpoint.AddressFamily, options);
                await BlockingSetup.ConnectAsync(socket, endpoint, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                failure = await AuthenticateAsync(socket, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Out of descriptors (EMFILE) lands here too, from the socket's creation: retried like the rest.
                failure = e is SocketException se ? se.Message : "timed out";
            }

            if (failure is not null)
            {
                socket?.Dispose();
                Interlocked.Increment(ref stats.LinkFailures);
                var delay = backoff.Next();
                Log.Warn($"connect to {endpoint} failed: {failure}; retrying in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            long framesBefore = FramesFromPeer();
            await runLink(socket!).WaitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Null when the link may start (authenticated, or no secret); otherwise why not, for the log line.</summary>
    private async Task<string?> AuthenticateAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (auth is null)
        {
            return null;
        }

        var outcome = await auth.AuthenticateAsync(socket, TcpRole.Connect, cancellationToken).ConfigureAwait(false);
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
