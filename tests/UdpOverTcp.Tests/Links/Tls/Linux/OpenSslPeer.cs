using System.Diagnostics;
using System.Globalization;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// <c>openssl s_server</c> or <c>s_client</c> as the other end, with -quiet (but see <see cref="CommandedServerAsync"/>):
/// its stdin goes to the peer as plaintext and what it receives comes out on its stdout, byte for byte. Killed on Dispose.
/// </summary>
public sealed class OpenSslPeer : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private OpenSslPeer(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Plaintext for the peer.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Plaintext from the peer.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>What it said on stderr: complete once it has exited.</summary>
    public Task<string> Stderr => _stderr;

    /// <summary>s_server on <paramref name="port"/>, TLS 1.3, returned once it listens; <paramref name="extra"/> adds options (-cert2 ...).</summary>
    public static Task<OpenSslPeer> ServerAsync(int port, TestCertificates.Pair pair, params string[] extra) =>
        ListeningAsync(port, ["s_server", "-tls1_3", "-quiet", "-cert", pair.Certificate, "-key", pair.Key, "-accept", port.ToString(CultureInfo.InvariantCulture), .. extra]);

    /// <summary>
    /// s_server as <see cref="ServerAsync"/> but without -quiet, for the commands it then reads on stdin: a
    /// line "K" alone in one write sends a KeyUpdate that asks the peer for one too. Its stdout then carries
    /// its own chatter around the plaintext it received; -msg writes every protocol message it sends (&gt;&gt;&gt;)
    /// and receives (&lt;&lt;&lt;) to <paramref name="messageFile"/>, flushed as they go.
    /// </summary>
    public static Task<OpenSslPeer> CommandedServerAsync(int port, TestCertificates.Pair pair, string messageFile) =>
        ListeningAsync(port, ["s_server", "-tls1_3", "-msg", "-msgfile", messageFile, "-cert", pair.Certificate, "-key", pair.Key, "-accept", port.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>s_client to 127.0.0.1:<paramref name="port"/>, TLS 1.3, failing the handshake on any verify error.</summary>
    public static OpenSslPeer Client(int port, string caFile, string serverName) =>
        new(["s_client", "-connect", $"127.0.0.1:{port}", "-tls1_3", "-quiet", "-verify_return_error", "-CAfile", caFile, "-servername", serverName]);

    public async Task<byte[]> ReadExactlyAsync(int length)
    {
        byte[] data = new byte[length];
        await Output.ReadExactlyAsync(data).AsTask().Within($"{length} bytes from openssl");
        return data;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit();
        _process.Dispose();
    }

    private static async Task<OpenSslPeer> ListeningAsync(int port, string[] args)
    {
        var server = new OpenSslPeer(args);
        // It prints nothing on listening under -quiet, and a probe connection would be a client to it: watch the kernel's listener table instead.
        await Eventually.True(() => server.ExitedEarly() || ListeningSockets.Has(port), $"s_server listening on {port}");
        return server;
    }

    private bool ExitedEarly() =>
        _process.HasExited ? throw new InvalidOperationException($"openssl exited {_process.ExitCode}: {_stderr.Result.Trim()}") : false;
}
