
namespace UdpOverTcp.CommandLine;

/// <summary>The process's exit codes; documented in the README.</summary>
public static class ExitCodes
{
    /// <summary>Ran and stopped on request (Ctrl+C, SIGTERM), or --help/--version.</summary>
    public const int Ok = 0;

    /// <summary>Could not start: e.g. the UDP port or the TCP listen port is taken.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong. Nothing else exits 2.</summary>
    public const int Usage = 2;
}
