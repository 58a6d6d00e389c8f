using System.Text.Json;
using UdpOverTcp.Bench.Link;
using UdpOverTcp.Bench.Trials;

namespace UdpOverTcp.Bench.Report;

/// <summary>The --link report as JSON: rates in Mbit/s of UDP payload, delays in milliseconds.</summary>
public static partial class BenchJson
{
    public static void Write(Stream output, LinkReport report) => Write(output, json => Write(json, report));

    private static void Write(Utf8JsonWriter json, LinkReport report)
    {
        WriteStart(json, report.Version, report.Cores, report.Os, report.Kernel, report.RuntimeIdentifier, report.StolenFraction);

        json.WriteStartObject("link");
        json.WriteString("rate", report.Rate.Text);
        json.WriteNumber("rateBitsPerSecond", report.Rate.BitsPerSecond);
        json.WriteString("qdisc", report.Qdisc);
        json.WriteString("qdiscShown", report.QdiscShown);
        json.WriteString("congestionControl", report.CongestionControl);
        json.WriteString("senderAddress", ShapedLink.SenderAddress.ToString());
        json.WriteString("receiverAddress", ShapedLink.ReceiverAddress.ToString());
        json.WriteBoolean("bothDirectionsShaped", true);
        if (report.Path is { } path)
        {
            json.WriteStartObject("delayLine");
            json.WriteNumber("delayMilliseconds", path.DelayMilliseconds);
            json.WriteNumber("lossPercent", Math.Round(path.Loss * 100, 6));
            json.WriteNumber("seed", path.Seed);
            WriteDelayLineCounts(json, "towardsY", path.TowardsY);
            WriteDelayLineCounts(json, "towardsX", path.TowardsX);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("delayLine");
        }

        json.WriteEndObject();

        json.WriteStartObject("settings");
        json.WriteNumber("size", report.Size);
        WriteNumberOrNull(json, "trialSeconds", report.TrialSeconds);
        json.WriteString("order", LinkReport.Order);
        json.WriteString("workload", report.Workload.ToString().ToLowerInvariant());
        json.WriteString("dataPath", report.DataPath);
        json.WriteString("tunnelArgs", report.TunnelArgs);
        json.WriteBoolean("tls", report.Tls);
        json.WriteEndObject();

        json.WriteStartArray("loads");
        foreach (var load in report.Loads)
        {
            json.WriteStartObject();
            json.WriteString("flow", load.Flow);
            WriteNumberOrNull(json, "load", load.Load);
            WriteNumberOrNull(json, "offeredMegabitsPerSecond", Math.Round(load.OfferedBitsPerSecond / 1e6, 3));
            WriteLinkTrial(json, "plain", load.Plain);
            WriteLinkTrial(json, "tunnel", load.Tunnel);
            if (load.TunnelDrops is { } drops)
            {
                json.WriteStartObject("tunnelDrops");
                json.WriteNumber("received", drops.Received);
                WriteNumberOrNull(json, "backpressure", drops.Backpressure);
                WriteNumberOrNull(json, "stale", drops.Stale);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("tunnelDrops");
            }

            WriteNumberOrNull(json, "goodputTunnelToPlain", Round(load.GoodputTunnelToPlain));
            WriteNumberOrNull(json, "p99TunnelMinusPlainMilliseconds", Milliseconds(load.P99TunnelMinusPlain));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteLinkTrial(Utf8JsonWriter json, string name, TrialResult trial)
    {
        json.WriteStartObject(name);
        WriteNumberOrNull(json, "sentMegabitsPerSecond", Math.Round(trial.SentRate * trial.Size * 8 / 1e6, 3));
        WriteNumberOrNull(json, "goodputMegabitsPerSecond", Math.Round(trial.GoodputBitsPerSecond / 1e6, 3));
        WriteCounts(json, trial);
        json.WriteBoolean("generatorKeptUp", trial.KeptUp);
        if (trial.Delay is { } delay)
        {
            json.WriteStartObject("delayMilliseconds");
            json.WriteNumber("count", delay.Count);
            WriteNumberOrNull(json, "p50", Milliseconds(delay.P50));
            WriteNumberOrNull(json, "p95", Milliseconds(delay.P95));
            WriteNumberOrNull(json, "p99", Milliseconds(delay.P99));
            WriteNumberOrNull(json, "max", Milliseconds(delay.Max));
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("delayMilliseconds");
        }

        WriteNumberOrNull(json, "tunnelCpuSecondsPerMillion", Round(trial.TunnelCpuPerMillion));
        WriteNumberOrNull(json, "stealPercent", Percent(trial.StolenFraction));
        json.WriteEndObject();
    }

    private static void WriteDelayLineCounts(Utf8JsonWriter json, string name, DelayLineCounts counts)
    {
        json.WriteStartObject(name);
        json.WriteNumber("forwarded", counts.Forwarded);
        json.WriteNumber("dropped", counts.Dropped);
        json.WriteNumber("overflowed", counts.Overflowed);
        json.WriteEndObject();
    }

    /// <summary>Microseconds as milliseconds, to the microsecond.</summary>
    private static double? Milliseconds(double? microseconds) => microseconds is { } us ? Math.Round(us / 1000, 3) : null;
}
