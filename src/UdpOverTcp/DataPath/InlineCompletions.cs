using UdpOverTcp.Cli;

namespace UdpOverTcp.DataPath;

/// <summary>
/// With --multi-client on Linux, socket completions run on the sockets engine's own threads (the
/// runtime then starts one per core) instead of being handed to the thread pool: every client's step
/// is short and never waits on a socket (a TCP read decoded and sent with one sendmmsg, a UDP receive
/// framed and flushed), and a hand-off per datagram was a fifth of the server's CPU (the figures are in
/// docs/performance.md, "Many clients"). The single link does not use the engine for its data, so it is
/// left as it is.
/// <para>
/// The runtime reads its switch from the environment once, when the engine starts, so this runs
/// before any socket is used asynchronously; a value the user set wins.
/// </para>
/// </summary>
public static class InlineCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when it switched them on.</summary>
    public static bool EnableFor(TunnelOptions options)
    {
        if (!options.MultiClient || !OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null)
        {
            return false;
        }

        Environment.SetEnvironmentVariable(Variable, "1");
        return true;
    }
}
