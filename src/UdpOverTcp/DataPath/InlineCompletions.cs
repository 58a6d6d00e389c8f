using UdpOverTcp.Cli;

namespace UdpOverTcp.DataPath;

/// <summary>
/// With --multi-client on Linux, socket completions run on the sockets engine's own threads (the
/// runtime then starts one per core) instead of being handed to the thread pool: every client's step
/// is short and never waits on a socket (a TCP read decoded and sent with one sendmmsg, a UDP receive
/// framed and flushed), and a hand-off per datagram was a fifth of the server's CPU. 100 clients
/// echoing 64 B datagrams through the server (bench/multi-client-load, 2026-12-07, 2-core VM): at
/// 500 each per second, 20.3–20.7 s → 18.0–18.4 s of server CPU per million round trips, 13–16
/// threads → 9; at 1,000/s, 13.5–13.9 s → 10.6–11.4 s, and 17–22 % lost → 0.3–6 %. The single link
/// does not use the engine for its data, so it is left as it is.
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
