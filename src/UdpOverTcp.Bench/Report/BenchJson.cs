using System.Text.Encodings.Web;
using System.Text.Json;
using UdpOverTcp.Bench.Trials;

namespace UdpOverTcp.Bench.Report;

/// <summary>
/// The machine-readable report, written field by field with Utf8JsonWriter: no reflection or
/// serializer, trim- and AOT-safe. Indented by two spaces, "\n" line ends on every OS, one line end
/// after the closing brace. A number that is missing or not finite is null (JSON has no NaN).
/// Rates are datagrams/s, times microseconds or seconds as named.
/// </summary>
public static partial class BenchJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        NewLine = "\n",
        // Strings as they are (an OS name with '+' or non-ASCII), escaped only where JSON requires it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(Stream output, BenchReport report) => Write(output, json => Write(json, report));

    /// <summary>One report, then one line end.</summary>
    private static void Write(Stream output, Action<Utf8JsonWriter> report)
    {
        using (var json = new Utf8JsonWriter(output, Options))
        {
            report(json);
        }

        output.WriteByte((byte)'\n');
    }

    /// <summary>The start of every report: its opening brace, "version" and "machine" (with "kernel" when given).</summary>
    private static void WriteStart(Utf8JsonWriter json, string version, int cores, string os, string? kernel, string runtimeIdentifier, double? stolenFraction)
    {
        json.WriteStartObject();
        json.WriteString("version", version);
        json.WriteStartObject("machine");
        json.WriteNumber("cores", cores);
        json.WriteString("os", os);
        if (kernel is not null)
        {
            json.WriteString("kernel", kernel);
        }

        json.WriteString("runtimeIdentifier", runtimeIdentifier);
        WriteNumberOrNull(json, "stealPercent", Percent(stolenFraction));
        json.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter json, BenchReport report)
    {
        WriteStart(json, report.Version, report.Cores, report.Os, kernel: null, report.RuntimeIdentifier, report.StolenFraction);

        json.WriteStartObject("settings");
        json.WriteString("mode", report.FixedRate is null ? "search" : "rate");
        WriteNumberOrNull(json, "rate", report.FixedRate);
        WriteNumberOrNull(json, "trialSeconds", report.TrialSeconds);
        WriteNumberOrNull(json, "lossThresholdPercent", TrialResult.LossThreshold * 100);
        json.WriteString("tunnels", report.Tunnels);
        json.WriteString("dataPath", report.DataPath);
        json.WriteString("tunnelArgs", report.TunnelArgs);
        json.WriteBoolean("tls", report.Tls);
        json.WriteString("sendTo", report.TunnelSendTo);
        json.WriteString("receiveOn", report.TunnelReceiveOn);
        json.WriteNumber("sinkReceiveBufferBytes", report.SinkReceiveBufferBytes);
        WriteNumberOrNull(json, "clients", report.Clients);
        if (report.ClientsFarCommand is { } far)
        {
            json.WriteString("clientsListenEnd", far);
        }
        else
        {
            json.WriteNull("clientsListenEnd");
        }

        json.WriteEndObject();

        json.WriteStartArray("results");
        foreach (var size in report.Sizes)
        {
            json.WriteStartObject();
            json.WriteNumber("size", size.Size);
            WritePath(json, "plain", size.Plain);
            WritePath(json, "tunnel", size.Tunnel);
            WriteNumberOrNull(json, "tunnelToPlain", size.TunnelToPlain);
            if (size.Clients is { } clients)
            {
                // --clients: the same traffic spread over that many clients through one listen end.
                WritePath(json, "clients", clients);
                WriteNumberOrNull(json, "clientsToTunnel", size.ClientsToTunnel);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();

        if (report.Clients is not null)
        {
            json.WriteNull("latency");   // not measured with --clients
            json.WriteEndObject();
            return;
        }

        json.WriteStartObject("latency");
        json.WriteNumber("size", LatencyProbe.Size);
        WriteLatency(json, "plain", report.PlainLatency);
        WriteLatency(json, "plainEchoThread", report.PlainEchoThreadLatency);
        WriteLatency(json, "tunnel", report.TunnelLatency);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WritePath(Utf8JsonWriter json, string name, PathReport path)
    {
        var shown = path.Search.Shown;
        json.WriteStartObject(name);
        // The lossless rate: null when no trial passed (at a fixed rate: when that one lost too much).
        WriteNumberOrNull(json, "losslessRate", path.Search.Best is null ? null : Math.Round(path.LosslessRate));
        WriteNumberOrNull(json, "losslessMegabytesPerSecond", Math.Round(path.LosslessMegabytesPerSecond, 3));
        json.WriteString("limit", path.Search.Limit switch
        {
            SearchLimit.None => "none",
            SearchLimit.Loss => "loss",
            SearchLimit.Generator => "generator",
            SearchLimit.Maximum => "maximum",
            _ => "trials",
        });
        json.WriteNumber("trials", path.Search.Trials.Count);

        // The reported trial: the best pass, or the last one.
        json.WriteStartObject("trial");
        WriteNumberOrNull(json, "offeredRate", Math.Round(shown.OfferedRate));
        WriteNumberOrNull(json, "sentRate", Math.Round(shown.SentRate));
        WriteNumberOrNull(json, "deliveredRate", Math.Round(shown.DeliveredRate));
        WriteNumberOrNull(json, "megabytesPerSecond", Math.Round(shown.MegabytesPerSecond, 3));
        WriteCounts(json, shown);
        json.WriteBoolean("passed", shown.Passed);
        WriteNumberOrNull(json, "tunnelCpuSecondsPerMillion", Round(shown.TunnelCpuPerMillion));
        if (shown.ServerCpu is not null)
        {
            WriteNumberOrNull(json, "serverCpuSecondsPerMillion", Round(shown.ServerCpuPerMillion));   // --clients: the listen end alone
        }

        WriteNumberOrNull(json, "benchCpuSecondsPerMillion", Round(shown.BenchCpuPerMillion));
        WriteNumberOrNull(json, "stealPercent", Percent(shown.StolenFraction));
        json.WriteEndObject();

        // Every trial of the search, overloaded ones included.
        json.WriteStartObject("allTrials");
        json.WriteNumber("sent", path.TotalSent);
        json.WriteNumber("delivered", path.TotalDelivered);
        json.WriteNumber("reordered", path.TotalReordered);
        json.WriteNumber("corrupted", path.TotalCorrupted);
        json.WriteNumber("duplicated", path.TotalDuplicated);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>How long a trial sent, and what became of its datagrams.</summary>
    private static void WriteCounts(Utf8JsonWriter json, TrialResult trial)
    {
        WriteNumberOrNull(json, "seconds", Math.Round(trial.Generator.Seconds, 4));
        json.WriteNumber("sent", trial.Sent);
        json.WriteNumber("delivered", trial.Counts.Unique);
        json.WriteNumber("lost", trial.Lost);
        WriteNumberOrNull(json, "lossPercent", Math.Round(trial.LossFraction * 100, 4));
        json.WriteNumber("sendErrors", trial.Generator.Refused);
        json.WriteNumber("reordered", trial.Counts.Reordered);
        json.WriteNumber("corrupted", trial.Counts.Corrupted);
        json.WriteNumber("duplicated", trial.Counts.Duplicated);
    }

    private static void WriteLatency(Utf8JsonWriter json, string name, LatencyResult? latency)
    {
        if (latency is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("roundTrips", latency.RoundTrips);
        json.WriteNumber("lost", latency.Lost);
        WriteNumberOrNull(json, "p50Microseconds", Math.Round(latency.P50, 1));
        WriteNumberOrNull(json, "p99Microseconds", Math.Round(latency.P99, 1));
        WriteNumberOrNull(json, "p999Microseconds", Math.Round(latency.P999, 1));
        WriteNumberOrNull(json, "maxMicroseconds", Math.Round(latency.Max, 1));
        json.WriteEndObject();
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    private static double? Percent(double? fraction) => fraction is { } f ? Math.Round(f * 100, 2) : null;

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
