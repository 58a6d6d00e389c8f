using System.Runtime.InteropServices;


namespace UdpOverTcp.CommandLine;

/// <summary>
/// A token cancelled by Ctrl+C, SIGTERM or SIGHUP, which then end the process cleanly (exit 0)
/// instead of killing it; or SIGHUP runs a reload, when one is given. The tunnel's and the bench's.
/// </summary>
public sealed class SignalStop : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration _int;
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration? _hup;

    /// <param name="reload">What SIGHUP does instead of stopping (runs on the signal's thread); null: it stops.</param>
    public SignalStop(Action? reload = null)
    {
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        // The terminal closed or the service manager asked: with nothing to reload, stop.
        _hup = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, reload is null ? Handle : context =>
        {
            context.Cancel = true;
            reload();
        });
    }

    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        _int.Dispose();
        _term.Dispose();
        _hup?.Dispose();
        _cts.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _cts.Cancel();
    }
}
