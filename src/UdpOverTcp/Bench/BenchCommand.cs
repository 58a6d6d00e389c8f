using System.Diagnostics;
using System.Globalization;
using System.Net;
using UdpOverTcp.Cli;

namespace UdpOverTcp.Bench;

/// <summary>
/// The built-in <c>bench</c>: for each size, plain UDP over loopback (the ceiling) and then the same
/// generator through two tunnel ends (listen and connect, in this process) over loopback TCP.
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        // The tunnels' own log lines would interleave with the table.
        Log.Level = LogLevel.Warn;
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        output.WriteLine($"udp-over-tcp {HelpText.Version} bench: {Environment.ProcessorCount} cores, {options.DurationSeconds.ToString(CultureInfo.InvariantCulture)} s per run, generator at full speed");
        output.WriteLine($"{"size",6}  {"path",-7}  {"sent/s",12}  {"delivered/s",12}  {"MB/s",9}  {"loss",7}  {"bad",5}");
        foreach (int size in options.Sizes)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var plain = RunPlain(size, duration, cancellationToken);
            output.WriteLine(Format(size, "udp", plain));
            var tunnel = await RunTunnelAsync(size, duration, cancellationToken).ConfigureAwait(false);
            output.WriteLine(Format(size, "tunnel", tunnel));
        }

        return ExitCodes.Ok;
    }

    /// <summary>One measurement: what was sent and what arrived, over the send time.</summary>
    public readonly record struct Result(long Sent, long Received, long Bad, double Seconds, int Size)
    {
        public double SentPerSecond => Sent / Seconds;
        public double DeliveredPerSecond => Received / Seconds;
        public double LossPercent => Sent == 0 ? 0 : 100.0 * (Sent - Received) / Sent;
    }

    private static Result RunPlain(int size, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var sink = new DatagramSink(new IPEndPoint(IPAddress.Loopback, 0), size);
        using var generator = new DatagramGenerator(new IPEndPoint(IPAddress.Loopback, 0));
        return Measure(generator, sink, sink.EndPoint, size, duration, cancellationToken);
    }

    private static async Task<Result> RunTunnelAsync(int size, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var sink = new DatagramSink(new IPEndPoint(IPAddress.Loopback, 0), size);
        using var generator = new DatagramGenerator(new IPEndPoint(IPAddress.Loopback, 0));
        var loopback0 = new IPEndPoint(IPAddress.Loopback, 0);
        using var listen = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Listen, TcpEndpoint = loopback0, UdpBind = loopback0, UdpSendTo = generator.EndPoint,
        });
        using var connect = new Tunnel(new TunnelOptions
        {
            Role = TcpRole.Connect, TcpEndpoint = listen.TcpListenEndPoint, UdpBind = loopback0, UdpSendTo = sink.EndPoint,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Task.WhenAll(listen.RunAsync(stop.Token), connect.RunAsync(stop.Token));
        await Task.WhenAll(listen.WhenLinkUp(), connect.WhenLinkUp()).WaitAsync(cancellationToken).ConfigureAwait(false);

        var result = Measure(generator, sink, listen.UdpEndPoint, size, duration, cancellationToken);
        stop.Cancel();
        await running.ConfigureAwait(false);
        return result;
    }

    private static Result Measure(DatagramGenerator generator, DatagramSink sink, IPEndPoint target, int size, TimeSpan duration, CancellationToken cancellationToken)
    {
        sink.Start();
        long start = Stopwatch.GetTimestamp();
        long sent = generator.Run(target, size, duration, cancellationToken);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        sink.Finish();
        return new Result(sent, sink.Received, sink.Corrupt + sink.OutOfOrder, seconds, size);
    }

    private static string Format(int size, string path, Result r) => string.Create(CultureInfo.InvariantCulture,
        $"{size,6}  {path,-7}  {r.SentPerSecond,12:N0}  {r.DeliveredPerSecond,12:N0}  {r.DeliveredPerSecond * size / 1e6,9:N1}  {r.LossPercent,6:N2}%  {r.Bad,5}");
}
