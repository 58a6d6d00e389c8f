namespace UdpOverTcp.Bench.Cli;

/// <summary>The bench cannot go on (a tunnel did not start, nothing arrives): one line for the user, exit code 1.</summary>
public sealed class BenchException(string message) : Exception(message);
