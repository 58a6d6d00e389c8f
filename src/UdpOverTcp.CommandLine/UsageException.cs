
namespace UdpOverTcp.CommandLine;

/// <summary>The command line is wrong: reported as one line plus a hint, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
