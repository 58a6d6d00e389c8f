using System.Diagnostics;
using UdpOverTcp.Links.Listen;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links;

/// <summary>A flood of rejected connections makes a line a minute, not a line a connection.</summary>
[UnitTest]
public class RejectionLogTests
{
    private static readonly long Minute = (long)(RejectionLog.Interval.TotalSeconds * Stopwatch.Frequency);

    private readonly List<string> _lines = [];
    private readonly RejectionLog _log;

    public RejectionLogTests() => _log = new RejectionLog(TimeSpan.FromSeconds(5), maxClients: 200, warn: _lines.Add);

    [Fact]
    public void The_first_rejection_is_said_at_once_with_its_peer_and_reason()
    {
        _log.Add("203.0.113.7:4000", Rejection.TimedOut, now: 0);
        var line = Assert.Single(_lines);
        Assert.Contains("203.0.113.7:4000", line);
        Assert.Contains("no handshake within 5 s", line);
    }

    [Fact]
    public void Thousands_more_within_the_minute_make_one_summary_line_by_reason_when_it_is_over()
    {
        _log.Add("203.0.113.7:4000", Rejection.CrowdedOut, now: 0);
        for (int i = 0; i < 3000; i++)
        {
            _log.Add($"198.51.100.{i % 200}:{1000 + i}", i % 3 == 0 ? Rejection.TimedOut : Rejection.CrowdedOut, now: i);
        }

        _log.Add("192.0.2.1:5000", Rejection.ProofMismatch, now: Minute - 1);
        Assert.Single(_lines);
        Assert.Equal(Minute, _log.SummaryDue);

        _log.SummarizeIfDue(Minute - 1);
        Assert.Single(_lines);
        _log.SummarizeIfDue(Minute);
        Assert.Equal(2, _lines.Count);
        Assert.StartsWith("3001 more connections closed in the last minute: 2000 crowded out", _lines[1]);
        Assert.Contains("1000 no handshake within 5 s", _lines[1]);
        Assert.Contains("1 wrong proof", _lines[1]);
        Assert.EndsWith("the last from 192.0.2.1:5000", _lines[1]);
    }

    [Fact]
    public void After_a_quiet_minute_the_next_rejection_is_said_at_once_again()
    {
        _log.Add("203.0.113.7:4000", Rejection.Closed, now: 0);
        Assert.Equal(long.MaxValue, _log.SummaryDue);   // nothing counted: no summary to wait for
        _log.Add("203.0.113.8:4000", Rejection.NotAHello, now: Minute);
        Assert.Equal(2, _lines.Count);
        Assert.Contains("not a udp-over-tcp hello", _lines[1]);
    }

    [Fact]
    public void Clients_refused_past_max_clients_are_summed_up_with_the_rest()
    {
        _log.Add("203.0.113.7:4000", Rejection.TooManyClients, now: 0);
        Assert.Equal("connection from 203.0.113.7:4000 refused: already 200 clients (--max-clients) (more of these: one summary line a minute at most)", Assert.Single(_lines));
        for (int i = 0; i < 50; i++)
        {
            _log.Add($"198.51.100.1:{1000 + i}", Rejection.TooManyClients, now: i);
        }

        _log.Add("198.51.100.2:2000", Rejection.TimedOut, now: 60);
        _log.SummarizeIfDue(Minute);
        Assert.Equal("51 more connections closed in the last minute: 1 no handshake within 5 s, 50 refused: already 200 clients (--max-clients); the last from 198.51.100.2:2000", _lines[1]);
    }
}
