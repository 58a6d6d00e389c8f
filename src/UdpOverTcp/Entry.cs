using System.Net.Sockets;
using System.Runtime.InteropServices;
using UdpOverTcp.Auth;
using UdpOverTcp.Cli;
using UdpOverTcp.CommandLine;
using UdpOverTcp.DataPath;
using UdpOverTcp.Host;
using UdpOverTcp.Links.Connect;
using UdpOverTcp.Links.Tls;
using UdpOverTcp.Sessions;
using UdpOverTcp.Sockets;

namespace UdpOverTcp;

/// <summary>Entry point: parse, run, map the outcome to an exit code.</summary>
public static class Entry
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (args.Length > 0 && args[0] == "bench")
            {
                return BenchAlias.Run(args.AsSpan(1));
            }

            var options = TunnelOptions.Parse(
                args, Environment.GetEnvironmentVariable(UdpDataPathVariable.Name), Environment.GetEnvironmentVariable(ProxyUri.EnvironmentVariable));
            if (options.ShowHelp)
            {
                Console.Out.Write(HelpText.Tunnel());
                return ExitCodes.Ok;
            }

            if (options.ShowVersion)
            {
                Console.Out.WriteLine($"udp-over-tcp {HelpText.Version}");
                return ExitCodes.Ok;
            }

            if (options.Congestion is { } congestion)
            {
                TcpCongestion.Check(congestion);   // a name this kernel lacks is a usage error now, not at the first link
            }

            Log.Level = options.LogLevel;
            if (!TryLoadSecret(options, out byte[]? secret))
            {
                return ExitCodes.Failure;
            }

            if (options.UdpSendToName is { } name)
            {
                try
                {
                    options = options with { UdpSendTo = Resolver.ResolveForUdp(name, options.UdpBind!) };
                }
                catch (ResolveException e)
                {
                    Log.Error($"cannot start: --udp-sendto: {e.Message}");
                    return ExitCodes.Failure;
                }

                Log.Debug($"--udp-sendto {name.Host} is {options.UdpSendTo}");
            }

            if (options.Tls)
            {
                try
                {
                    OpenSslLibrary.EnsureLoaded();
                    options = options with
                    {
                        TlsClient = new TlsClientSettings(ConnectUrl.TlsHost(options.ConnectTarget!), options.TlsCaFile, options.TlsSni, options.TlsPin),
                    };
                }
                catch (TlsException e)
                {
                    Log.Error($"cannot start: --tcp-connect https://: {e.Message}");
                    return ExitCodes.Failure;
                }
            }

            if (options.TlsCertFile is not null)
            {
                try
                {
                    OpenSslLibrary.EnsureLoaded();
                    options = options with { TlsServer = new TlsServerContext(options.TlsCertFile, options.TlsKeyFile!) };
                }
                catch (TlsException e)
                {
                    Log.Error($"cannot start: --tls-cert: {e.Message}");
                    return ExitCodes.Failure;
                }
            }

            using (options.TlsServer)
            {
                return await RunTunnelAsync(options with { Secret = secret }).ConfigureAwait(false);
            }
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"udp-over-tcp: {e.Message}");
            Console.Error.WriteLine("Try 'udp-over-tcp --help' for more information.");
            return ExitCodes.Usage;
        }
    }

    private static async Task<int> RunTunnelAsync(TunnelOptions options)
    {
        // Before binding: once the ports answer, SIGTERM already means a clean stop.
        // With --tls-cert, SIGHUP reloads the certificate (certbot's renewal hook sends it) instead of stopping.
        using var stop = new SignalStop(options.TlsServer is { } tls ? () => ReloadCertificate(tls) : null);
        if (InlineCompletions.EnableFor(options))   // before any socket is used asynchronously
        {
            Log.Debug($"socket completions run on the sockets engine's threads ({InlineCompletions.Variable}=1)");
        }

        Tunnel tunnel;
        try
        {
            tunnel = new Tunnel(options);
        }
        catch (SocketException e)
        {
            Log.Error(e.SocketErrorCode == SocketError.AccessDenied && options.FwMark is not null
                ? $"cannot start: --fwmark: {e.Message} (setting SO_MARK needs CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17+)"
                : $"cannot start: {e.Message} ({DescribeBind(options)})");
            return ExitCodes.Failure;
        }

        // systemd's Type=notify (or a test): READY=1 once the sockets are bound, STOPPING=1 on the way out.
        var notify = SystemdNotify.FromEnvironment();
        using (tunnel)
        using (StatsOnSignal(tunnel))
        using (stop.Token.Register(notify.Stopping))
        {
            var run = tunnel.RunAsync(stop.Token, notify.Ready);
            if (options.StatsIntervalSeconds > 0)
            {
                await Task.WhenAll(run, PrintStatsAsync(tunnel, options.StatsIntervalSeconds, stop.Token)).ConfigureAwait(false);
            }
            else
            {
                await run.ConfigureAwait(false);
            }
        }

        Log.Info($"stopped: {tunnel.Stats.Summary()}");
        return ExitCodes.Ok;
    }

    /// <summary>SIGHUP with --tls-cert: new links get the files' certificate and key; links up keep theirs, and a failed reload keeps the current ones.</summary>
    private static void ReloadCertificate(TlsServerContext tls)
    {
        try
        {
            tls.Reload();
            Log.Info($"SIGHUP: reloaded --tls-cert {tls.CertificateFile} and --tls-key {tls.KeyFile} for new links");
        }
        catch (TlsException e)
        {
            Log.Error($"SIGHUP: {e.Message}; new links keep the certificate loaded before");
        }
    }

    /// <summary>--stats: one line per interval, at info level so -q silences it.</summary>
    private static async Task PrintStatsAsync(Tunnel tunnel, int seconds, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Log.Info($"stats: {tunnel.StatusLine()}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>SIGUSR1 prints the statistics line on demand, whatever the log level (it was asked for).</summary>
    private static IDisposable? StatsOnSignal(Tunnel tunnel)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        return PosixSignalRegistration.Create(Signals.User1, context =>
        {
            context.Cancel = true;
            Log.Always($"stats: {tunnel.StatusLine()}");
        });
    }

    /// <summary>Loads the secret (null: none given) and checks this host can use it; false after logging why not.</summary>
    private static bool TryLoadSecret(TunnelOptions options, out byte[]? secret)
    {
        secret = null;
        try
        {
            secret = SecretSource.Load(options.SecretFile, Environment.GetEnvironmentVariable(SecretSource.EnvironmentVariable));
            if (secret is not null)
            {
                LinkAuthenticator.SelfTest();
            }

            return true;
        }
        catch (SecretException e)
        {
            Log.Error($"cannot start: {e.Message}");
        }
        catch (Exception e) when (e is DllNotFoundException or PlatformNotSupportedException or EntryPointNotFoundException or TypeInitializationException)
        {
            Log.Error("cannot start: link authentication needs OpenSSL (libssl) on this host");
        }

        return false;
    }

    private static string DescribeBind(TunnelOptions options) => options.Role == TcpRole.Listen
        ? $"udp {options.UdpBind}, tcp {options.TcpEndpoint}"
        : $"udp {options.UdpBind}";
}
