using System.Diagnostics;
using System.Text;
using UdpOverTcp.CommandLine;

namespace UdpOverTcp.Links.Listen;

/// <summary>Why the listen side closed a connection before it carried anything: it did not authenticate, or (--multi-client) it found no room.</summary>
public enum Rejection
{
    /// <summary>Closed to make room for a newer connection while every handshake slot was taken.</summary>
    CrowdedOut,
    TimedOut,
    Closed,
    NotAHello,
    ProofMismatch,

    /// <summary>--multi-client: already --max-clients clients.</summary>
    TooManyClients,

    /// <summary>--multi-client: the OS gave no UDP socket for the client (out of descriptors or ports).</summary>
    NoUdpSocket,

    /// <summary>--http-upgrade: not the Upgrade request for its path; answered as a web server would (404, 400, 426, 431).</summary>
    NotAnUpgrade,

    /// <summary>--tls-cert: not a TLS 1.3 client, or its handshake failed.</summary>
    TlsFailed,
}

/// <summary>
/// Tells the operator about connections closed before they carried anything (they did not
/// authenticate, or --multi-client had no room for them) without a line per connection, which a flood
/// would turn into a flood of lines: the first one is said at once, then at most one line a minute
/// sums up the others by reason. At debug level every one gets its own line.
/// Used by the acceptor's thread only (clients are installed there too); times are <see cref="Stopwatch"/> timestamps.
/// </summary>
/// <param name="maxClients">--max-clients, for the lines about refused clients.</param>
/// <param name="warn">Where the warning lines go (tests catch them); <see cref="Log.Warn"/> by default.</param>
public sealed class RejectionLog(TimeSpan handshakeTimeout, int maxClients = 0, Action<string>? warn = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private static readonly long IntervalTicks = (long)(Interval.TotalSeconds * Stopwatch.Frequency);

    private const int Reasons = (int)Rejection.TlsFailed + 1;

    private readonly Action<string> _warn = warn ?? Log.Warn;
    private readonly long[] _counts = new long[Reasons];
    private long _total;
    private string _lastPeer = "";

    /// <summary>Until then, rejections are only counted; none open before the first.</summary>
    private long _quietUntil = long.MinValue;

    /// <summary>When the next summary line is due: never while nothing is counted.</summary>
    public long SummaryDue => _total > 0 ? _quietUntil : long.MaxValue;

    /// <param name="detail">What the peer did, when it says more than the reason (OpenSSL's words for a failed TLS handshake).</param>
    public void Add(string peer, Rejection why, long now, string? detail = null)
    {
        SummarizeIfDue(now);
        string described = detail is null ? Describe(peer, why) : $"{Describe(peer, why)}: {detail}";
        if (now >= _quietUntil)
        {
            _warn($"{described} (more of these: one summary line a minute at most)");
            _quietUntil = now + IntervalTicks;
            return;
        }

        if (Log.IsEnabled(LogLevel.Debug))
        {
            Log.Debug(described);
        }

        _counts[(int)why]++;
        _total++;
        _lastPeer = peer;
    }

    public void SummarizeIfDue(long now)
    {
        if (_total == 0 || now < _quietUntil)
        {
            return;
        }

        var line = new StringBuilder();
        line.Append(_total).Append(_total == 1 ? " more connection" : " more connections")
            .Append(" closed in the last minute: ");
        string separator = "";
        for (int why = 0; why < Reasons; why++)
        {
            if (_counts[why] > 0)
            {
                line.Append(separator).Append(_counts[why]).Append(' ').Append(Reason((Rejection)why));
                separator = ", ";
            }
        }

        line.Append("; the last from ").Append(_lastPeer);
        _warn(line.ToString());
        Array.Clear(_counts);
        _total = 0;
        _quietUntil = now + IntervalTicks;
    }

    private string Describe(string peer, Rejection why) => why switch
    {
        Rejection.ProofMismatch => $"link from {peer} rejected: its proof did not match (is the secret the same on both ends?)",
        Rejection.NotAHello => $"connection from {peer} rejected: not a udp-over-tcp hello (garbage, or a peer without --secret-file)",
        Rejection.TooManyClients or Rejection.NoUdpSocket or Rejection.NotAnUpgrade or Rejection.TlsFailed => $"connection from {peer} {Reason(why)}",
        _ => $"connection from {peer} closed unauthenticated: {Reason(why)}",
    };

    private string Reason(Rejection why) => why switch
    {
        Rejection.CrowdedOut => "crowded out by newer connections (no hello yet, while all handshake slots were taken)",
        Rejection.TimedOut => $"no handshake within {handshakeTimeout.TotalSeconds:0.###} s",
        Rejection.Closed => "closed by the peer during the handshake",
        Rejection.NotAHello => "not a udp-over-tcp hello",
        Rejection.TooManyClients => $"refused: already {maxClients} clients (--max-clients)",
        Rejection.NoUdpSocket => "refused: the system gave no UDP socket for it (out of descriptors or ports?)",
        Rejection.NotAnUpgrade => "refused: not the HTTP Upgrade for --http-upgrade's path (answered as a web server would)",
        Rejection.TlsFailed => "refused: its TLS handshake failed (--tls-cert takes TLS 1.3 only)",
        _ => "wrong proof",
    };
}
