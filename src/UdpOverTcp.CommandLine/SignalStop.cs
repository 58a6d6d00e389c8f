using System.Runtime.InteropServices;


namespace UdpOverTcp.CommandLine;

/// <summary>
/// A token cancelled by Ctrl+C, SIGTERM or SIGHUP, which then end the process cleanly (exit 0)
/// instead of killing it. The tunnel's and the bench's.
/// </summary>
public sealed class SignalStop : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration _int;
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration? _hup;

    public SignalStop()
    {
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        // The terminal closed or the service manager asked: there is no configuration file to reload, so stop.
        _hup = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle);
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
