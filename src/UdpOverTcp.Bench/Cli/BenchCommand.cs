using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Platform;
using UdpOverTcp.Bench.Report;
using UdpOverTcp.Bench.Trials;
using UdpOverTcp.Bench.Tunnels;
using UdpOverTcp.CommandLine;
using UdpOverTcp.Sockets;

namespace UdpOverTcp.Bench.Cli;

/// <summary>
/// udp-over-tcp-bench: plain UDP over loopback (the ceiling of this generator and sink on this
/// machine) and the same traffic through two tunnel processes, side by side in one run. Per size: the
/// lossless rate of each (or one trial at --rate), its loss, reordering, corruption and duplication,
/// and the tunnels' CPU time; then ping-pong latency of both. The tunnels are the udp-over-tcp binary
/// beside this program started twice on ephemeral loopback ports, or, with --external, ones the user started.
/// With --link, the same comparison across a shaped link between two network namespaces instead (<see cref="LinkBench"/>).
/// </summary>
public static class BenchCommand
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    public static int Run(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var progress = BenchProgress.ForConsole();
        ThrowawayCertificate? tls = null;
        try
        {
            if (options.Tls)
            {
                tls = MakeCertificate(options.Verbose, progress);
            }

            if (options.Link is not null)
            {
                var linkReport = LinkBench.Run(options, tls, progress, cancellationToken);
                progress.Clear();
                Write(output, options.Json, json => BenchJson.Write(json, linkReport), text => BenchTable.Write(text, linkReport));
                return ExitCodes.Ok;
            }

            var report = Run(options, tls, progress, cancellationToken);
            progress.Clear();
            Write(output, options.Json, json => BenchJson.Write(json, report), text => BenchTable.Write(text, report));
            return ExitCodes.Ok;
        }
        catch (BenchException e)
        {
            progress.Clear();
            Console.Error.WriteLine($"udp-over-tcp-bench: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (SocketException e)
        {
            progress.Clear();
            Console.Error.WriteLine($"udp-over-tcp-bench: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            progress.Clear();
            Console.Error.WriteLine("udp-over-tcp-bench: interrupted");
            return ExitCodes.Ok;
        }
        finally
        {
            // After the tunnels (each run disposes its own before returning): the files are theirs until then.
            tls?.Dispose();
        }
    }

    /// <summary>--tls: the certificate and key for the listen ends, in a private temp directory (said where at -v).</summary>
    private static ThrowawayCertificate MakeCertificate(bool verbose, BenchProgress progress)
    {
        progress.Show("bench: making a throwaway TLS certificate");
        var tls = ThrowawayCertificate.Create();
        if (verbose)
        {
            progress.Clear();
            Console.Error.WriteLine($"bench: --tls: throwaway certificate and key in {tls.Directory}, pin {tls.Pin}");
        }

        return tls;
    }

    private static BenchReport Run(BenchOptions options, ThrowawayCertificate? tls, BenchProgress progress, CancellationToken cancellationToken)
    {
        var family = options.ExternalSendTo?.AddressFamily ?? AddressFamily.InterNetwork;
        var machineAtStart = CpuSteal.Read();
        using var plain = BenchPath.PlainUdp(family);
        SpawnedTunnels? spawned = null;
        BenchPath? tunnel = null;
        MultiClientTunnels? many = null;
        BenchPath? clients = null;
        try
        {
            string tunnels;
            string dataPath;
            if (options.IsExternal)
            {
                var app = BindExternal(options.ExternalReceiveOn!);
                tunnel = BenchPath.Tunnel(app, options.ExternalSendTo!, tunnelCpu: null);
                tunnels = "yours (--external)";
                dataPath = "unknown (not started by the bench)";
            }
            else
            {
                string program = SpawnedTunnels.Locate(options.TunnelPath);
                var app = BenchPath.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
                try
                {
                    progress.Show("bench: starting two tunnel processes");
                    spawned = SpawnedTunnels.Start(program, (IPEndPoint)app.LocalEndPoint!, options.DataPath, options.TunnelArgs, tls);
                }
                catch
                {
                    app.Dispose();
                    throw;
                }

                tunnel = BenchPath.Tunnel(app, spawned.Entry, spawned.CpuTime);
                tunnels = "2 child processes on loopback" + (tls is null ? "" : TunnelTlsArgs.Described);
                dataPath = spawned.DataPath;
            }

            progress.Show("bench: checking that the tunnels deliver");
            if (!LatencyProbe.WaitUntilDelivering(tunnel, DeliveryTimeout))
            {
                throw new BenchException(options.IsExternal
                    ? $"nothing sent to {tunnel.Target} arrived on {tunnel.ReceiveSocket.LocalEndPoint} within {DeliveryTimeout.TotalSeconds:0} s: are both tunnel ends up, and does the far end's --udp-sendto point at {tunnel.ReceiveSocket.LocalEndPoint}? (see udp-over-tcp-bench --help)"
                    : $"nothing went through the tunnels within {DeliveryTimeout.TotalSeconds:0} s");
            }

            // With --clients no ping-pong: a reply would need a path back to one client's app.
            LatencyResult? plainLatency = null, plainEchoThreadLatency = null, tunnelLatency = null;
            if (options.Clients is { } count)
            {
                (many, clients) = StartClients(SpawnedTunnels.Locate(options.TunnelPath), count, family, options, tls, progress);
            }
            else
            {
                progress.Show("bench: latency, plain UDP");
                plainLatency = LatencyProbe.Measure(plain, cancellationToken);
                plainEchoThreadLatency = LatencyProbe.MeasureWithEchoThread(plain, cancellationToken);
                progress.Show("bench: latency, tunnel");
                tunnelLatency = LatencyProbe.Measure(tunnel, cancellationToken);
            }

            var sizes = new List<SizeReport>();
            foreach (int size in options.Sizes)
            {
                var plainReport = Measure(plain, size, options, progress, cancellationToken);
                var tunnelReport = Measure(tunnel, size, options, progress, cancellationToken);
                var clientsReport = clients is null ? null : Measure(clients, size, options, progress, cancellationToken);
                sizes.Add(new SizeReport(size, plainReport, tunnelReport, clientsReport));
            }

            return new BenchReport(
                BuildVersion.Value,
                Environment.ProcessorCount,
                OperatingSystemName(),
                RuntimeInformation.RuntimeIdentifier,
                options.DurationSeconds,
                options.Rate,
                tunnels,
                dataPath,
                tunnel.Target.ToString(),
                tunnel.ReceiveSocket.LocalEndPoint!.ToString()!,
                SocketBuffers.Granted(tunnel.ReceiveSocket, SocketOptionName.ReceiveBuffer),
                sizes,
                plainLatency,
                plainEchoThreadLatency,
                tunnelLatency,
                CpuTimes.StolenFraction(machineAtStart, CpuSteal.Read()),
                string.Join(' ', options.TunnelArgs),
                options.Clients,
                many?.FarCommand,
                tls is not null);
        }
        finally
        {
            clients?.Dispose();
            many?.Dispose();
            tunnel?.Dispose();
            spawned?.Dispose();
        }
    }

    /// <summary>--clients: one listen end with --multi-client and <paramref name="count"/> connect ends, delivering to an app socket of their own, each client checked to deliver.</summary>
    private static (MultiClientTunnels Tunnels, BenchPath Path) StartClients(string program, int count, AddressFamily family, BenchOptions options, ThrowawayCertificate? tls, BenchProgress progress)
    {
        var app = BenchPath.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        MultiClientTunnels? tunnels = null;
        try
        {
            progress.Show(string.Create(CultureInfo.InvariantCulture, $"bench: starting a listen end and {count} clients"));
            tunnels = MultiClientTunnels.Start(program, (IPEndPoint)app.LocalEndPoint!, count, options.DataPath, options.TunnelArgs, tls);
            progress.Show("bench: checking that every client delivers");
            tunnels.WaitUntilEveryClientDelivers(app, DeliveryTimeout);
            return (tunnels, BenchPath.Clients(app, tunnels.Entries, tunnels.CpuTime, tunnels.ServerCpuTime));
        }
        catch
        {
            tunnels?.Dispose();
            app.Dispose();
            throw;
        }
    }

    /// <summary>The report as JSON (--json) or as the table.</summary>
    private static void Write(TextWriter output, bool asJson, Action<Stream> json, Action<TextWriter> table)
    {
        if (asJson)
        {
            using var buffer = new MemoryStream();
            json(buffer);
            output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
        else
        {
            table(output);
        }
    }

    /// <summary>The lossless-rate search (or the one trial at --rate) for one size on one path.</summary>
    private static PathReport Measure(BenchPath path, int size, BenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        using var runner = new TrialRunner(path, size);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        bool verbose = options.Verbose;
        int trials = 0;
        TrialResult Trial(double rate)
        {
            progress.Show(string.Create(CultureInfo.InvariantCulture, $"bench: {size} B {path.Name}, trial {++trials} at {rate:N0}/s"));
            var result = runner.Run(rate, duration, cancellationToken);
            if (verbose)
            {
                progress.Clear();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench: {size} B {path.Name} trial {trials}: offered {rate:N0}/s, sent {result.SentRate:N0}/s ({result.Generator.Skipped} written off), delivered {result.Counts.Unique:N0} of {result.Sent:N0}, loss {result.LossFraction * 100:0.000} %, {(result.Passed ? "pass" : "fail")}{(result.StolenFraction is { } stolen ? $", steal {stolen * 100:0.0} %" : "")}"));
            }

            return result;
        }

        var search = options.Rate is { } rate ? RateSearch.Fixed(rate, Trial) : RateSearch.Run(Trial);
        return new PathReport(path.Name, search);
    }

    /// <summary>The socket bound to RECV_ADDR: the far tunnel end delivers to it, and the generator sends from it.</summary>
    private static Socket BindExternal(IPEndPoint receiveOn)
    {
        try
        {
            return BenchPath.Bind(receiveOn);
        }
        catch (SocketException e)
        {
            throw new BenchException($"cannot bind RECV_ADDR {receiveOn}: {e.Message}");
        }
    }

    /// <summary>
    /// PRETTY_NAME from /etc/os-release, else the kernel's name. Not RuntimeInformation.OSDescription:
    /// reading the file with text readers pulled ~90 KB of line-reading code into the binary.
    /// </summary>
    public static string OperatingSystemName()
    {
        foreach (var line in (SystemFile.TryRead("/etc/os-release") ?? "").Split('\n'))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return Environment.OSVersion.VersionString;
    }
}
