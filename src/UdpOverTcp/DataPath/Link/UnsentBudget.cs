using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using UdpOverTcp.DataPath.Lanes;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.DataPath.Link;

/// <summary>
/// How many more bytes a link's kernel send queue may hold unsent, so that unsent datagrams wait in
/// the <see cref="TimeBoundedQueue"/> instead, where their age is known and they can be dropped. The
/// budget is a few milliseconds of what the link delivered over the last <see cref="Window"/> (bytes the
/// peer acknowledged, from TCP_INFO): on a 20 Mbit/s path about 5 KB, on loopback megabytes. A fixed
/// size is wrong at one end or the other: 16 KiB is 65 ms at 2 Mbit/s, and a few KiB at loopback speed
/// would wake the send loop every few microseconds. Not TCP's own rate estimates: its delivery-rate
/// samples, and BBR's pacing rate after them, jumped to 20 times the link once a second behind a
/// token bucket (bunched acknowledgements), and a budget that followed them let 60 to 130 ms build up.
/// TCP_NOTSENT_LOWAT follows the budget, so the send loop's wait for room (poll) ends when half of it
/// is free. The kernel checks that option only between its packets and fills the last one (up to
/// 64 KiB) past it, so the budget is also kept here, before each send.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UnsentBudget
{
    /// <summary>The smallest budget: three full-size TCP segments, so a slow link is never starved.</summary>
    public const int MinimumBytes = 4 * 1024;

    public const int MaximumBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The time the kernel's unsent bytes may take to leave at the link's rate: the shortest that kept 98 %
    /// of plain UDP's goodput (the measurements: docs/performance.md, "How the unsent budget was chosen").
    /// </summary>
    public static readonly TimeSpan Target = TimeSpan.FromMilliseconds(4);

    /// <summary>Over how long the delivery rate is measured: long enough to even out bunched acknowledgements.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    private static readonly long WindowTicks = (long)(Window.TotalSeconds * Stopwatch.Frequency);

    /// <summary>The shortest window measured early, when the budget starved the link.</summary>
    private static readonly long ShortWindowTicks = WindowTicks / 5;

    private readonly Socket _socket;
    private long _budget = MinimumBytes;
    private int _lowWater;
    private long _windowStart;
    private ulong _ackedAtWindowStart;

    /// <summary>The last answer was "no room": the send loop waited for the kernel to send some.</summary>
    private bool _waited;

    /// <summary>Told the link's minimum round trip once a window, from the same TCP_INFO (the drop schedule's interval follows it).</summary>
    private readonly Action<TimeSpan>? _minRoundTrip;

    public UnsentBudget(Socket socket, Action<TimeSpan>? minRoundTrip = null)
    {
        _socket = socket;
        _minRoundTrip = minRoundTrip;
        SetLowWater(MinimumBytes);
    }

    /// <summary>Bytes the kernel may take now (0: wait until the socket is writable); no limit when the kernel cannot tell.</summary>
    public long Room()
    {
        // Read into the stack: no allocation. Unreadable: the link is failing, and the send says how.
        if (!TcpInfo.TryRead(_socket, out var info) || info.BytesAcked is not ulong acked || info.NotSentBytes is not uint notSent)
        {
            return long.MaxValue;   // or a kernel before 4.6
        }

        long now = Stopwatch.GetTimestamp();
        long elapsed = now - _windowStart;
        if (_windowStart == 0)
        {
            StartWindow(now, acked);
        }
        else if (elapsed >= WindowTicks)
        {
            Resize(Rate(acked, elapsed), onlyUp: false);
            StartWindow(now, acked);
            if (info.MinRtt is uint minRttMicroseconds)
            {
                _minRoundTrip?.Invoke(TimeSpan.FromMicroseconds(minRttMicroseconds));
            }
        }
        else if (_waited && notSent == 0 && elapsed >= ShortWindowTicks)
        {
            // The kernel sent all it had while datagrams waited here: the budget starves the link (a young
            // link, or a rate that just rose). Measured again now, not at the end of the window; only up.
            Resize(Rate(acked, elapsed), onlyUp: true);
            StartWindow(now, acked);
        }

        long room = Math.Max(0, _budget - notSent);
        _waited = room == 0;
        return room;
    }

    /// <summary>The delivery rate since the window started, in bytes per second.</summary>
    private double Rate(ulong acked, long elapsedTicks) => (acked - _ackedAtWindowStart) * (double)Stopwatch.Frequency / elapsedTicks;

    /// <summary>The budget becomes <see cref="Target"/> of <paramref name="rate"/> (bytes/s), within the limits.</summary>
    private void Resize(double rate, bool onlyUp)
    {
        long budget = (long)Math.Clamp(rate * Target.TotalSeconds, MinimumBytes, MaximumBytes);
        _budget = onlyUp ? Math.Max(_budget, budget) : budget;
        if (_budget * 3 < _lowWater * 2 || _budget * 2 > _lowWater * 3)
        {
            SetLowWater((int)_budget);   // within a factor of 1.5 it stays: a rate that wobbles costs no system call
        }
    }

    private void StartWindow(long now, ulong acked)
    {
        _windowStart = now;
        _ackedAtWindowStart = acked;
    }

    private void SetLowWater(int bytes)
    {
        _lowWater = bytes;
        TcpNotSentLowWater.Apply(_socket, bytes);
    }
}
