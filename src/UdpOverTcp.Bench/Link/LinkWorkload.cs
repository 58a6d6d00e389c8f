namespace UdpOverTcp.Bench.Link;

/// <summary>What --link offers across the link (--workload).</summary>
public enum LinkWorkload
{
    /// <summary>One paced flow at each load (default 0.8, 1.2 and 2 times the link).</summary>
    Steady,

    /// <summary>A small flow (100 B at 50/s) beside a bulk flow at each load (default 0.5, 1.2 and 2 times), from one socket, each reported on its own.</summary>
    Mixed,

    /// <summary>On/off bursts (1 s at 0.7 times the link, 2 s silent), then steady flows at each load (default 0.2 and 0.5 times).</summary>
    Bursts,
}
