using System.Runtime.InteropServices;

namespace UdpOverTcp;

/// <summary>
/// Calls back once stdin reaches end of file (see <see cref="Cli.TunnelOptions.StopAtStdinEndVariable"/>).
/// read(2) on fd 0 directly: Console.OpenStandardInput would add 41 KB to the binary for the same loop.
/// Unix only (the bench starts tunnels on Linux and macOS only).
/// </summary>
internal static unsafe partial class StdinEnd
{
    private const int EINTR = 4;

    public static void OnEnd(Action callback)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var watcher = new Thread(() =>
        {
            byte* buffer = stackalloc byte[256];
            nint n;
            while ((n = Read(0, buffer, 256)) > 0 || (n < 0 && Marshal.GetLastPInvokeError() == EINTR))
            {
            }

            callback();
        })
        {
            IsBackground = true,
            Name = "stdin watch",
        };
        watcher.Start();
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);
}
