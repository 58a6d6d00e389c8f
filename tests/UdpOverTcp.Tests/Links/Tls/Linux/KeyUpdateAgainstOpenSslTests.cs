using System.Net;
using System.Text;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Tests.Support;
using static UdpOverTcp.Tests.Links.Tls.Linux.HttpsConnectSideAgainstOpenSslTests;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The published connect side linked through TLS to <c>openssl s_server</c> playing the listen end (it
/// answers the Upgrade with a 101, then exchanges u16be frames), which sends a KeyUpdate that requests
/// one back (its "K" command), twice. After each, frames must still cross both ways: s_server's are sealed
/// with its new key, and ours must follow our own KeyUpdate (RFC 8446 4.6.3: before our next application
/// data). Traffic alone would not show the answer (without it, both ends keep our old key and decrypt as
/// before): s_server's -msg log shows the KeyUpdates it sent and received, so the answer is seen. It is
/// awaited after our datagram, not before: OpenSSL 3.0 makes it in the next SSL_write, not while reading
/// the request (RFC 8446 allows that), so a link that only receives answers when it next sends.
/// With either kind of link loops (threaded, or the engine's).
/// </summary>
[EndToEndTest]
[NeedsLinux]
public sealed class KeyUpdateAgainstOpenSslTests(TestCertificates certificates) : IClassFixture<TestCertificates>, IDisposable
{
    // -msg's lines for a KeyUpdate sent (>>>) or received (<<<), with its body: type 24, length 1, request_update.
    private const string SentRequesting = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 01";
    private const string ReceivedNotRequesting = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 00";

    private readonly string _messages = Path.Combine(certificates.Folder, $"s_server-{Guid.NewGuid():N}.msg");

    [Theory]
    [InlineData("batched")]
    [InlineData("portable")]
    public async Task Frames_cross_both_ways_after_each_key_update_the_server_asks_to_be_answered(string io)
    {
        int port = FreePort.Tcp(), bx = FreePort.Udp();
        using var server = await OpenSslPeer.CommandedServerAsync(port, certificates.Server, _messages);
        var fromUs = new Transcript(server.Output);
        using var appX = new UdpApp();
        using var connectSide = TunnelProcess.StartWithEnvironment(
            new Dictionary<string, string> { ["UDP_OVER_TCP_IO"] = io },
            "--tcp-connect", $"https://localhost:{port}/tunnel", "--tls-ca", certificates.Ca.Certificate,
            "--udp-bind", bx.ToString(), "--udp-sendto", appX.EndPoint.Port.ToString());

        await fromUs.WaitForAsync(UpgradeRequest.Write($"localhost:{port}", "/tunnel"), "our Upgrade request, decrypted by s_server");
        byte[] first = Encoding.ASCII.GetBytes("the first datagram, with the 101");
        ToUs([.. UpgradeResponse.SwitchingProtocols, .. Frame(first)]);
        Assert.Equal(first, (await appX.ReceiveAsync("the datagram sent with the 101")).Data);
        await connectSide.WaitForLineAsync("link up: connected");
        await ExchangeAsync(server, fromUs, appX, bx, "before any key update");

        for (int update = 1; update <= 2; update++)
        {
            // Alone in its write (the last one was read: its frame arrived), or s_server would take it for data.
            ToUs("K\n"u8.ToArray());
            await MessageLogged(SentRequesting, update, "s_server's KeyUpdate");
            await ExchangeAsync(server, fromUs, appX, bx, $"after key update {update}");
            await MessageLogged(ReceivedNotRequesting, update, "our KeyUpdate answering it");
        }

        Assert.DoesNotContain(connectSide.Lines, l => l.Contains("link down", StringComparison.Ordinal));

        void ToUs(byte[] bytes)
        {
            server.Input.Write(bytes);
            server.Input.Flush();
        }
    }

    public void Dispose() => File.Delete(_messages);

    /// <summary>One datagram from s_server to the app, then one from the app to s_server.</summary>
    private static async Task ExchangeAsync(OpenSslPeer server, Transcript fromUs, UdpApp appX, int bx, string when)
    {
        byte[] down = Encoding.ASCII.GetBytes($"down, {when}");
        server.Input.Write(Frame(down));
        server.Input.Flush();
        Assert.Equal(down, (await appX.ReceiveAsync($"s_server's datagram {when}")).Data);

        byte[] up = Encoding.ASCII.GetBytes($"up, {when}");
        appX.SendTo(new IPEndPoint(IPAddress.Loopback, bx), up);
        await fromUs.WaitForAsync(Frame(up), $"our datagram {when}, decrypted by s_server");
    }

    /// <summary>Waits for the <paramref name="occurrence"/>-th time s_server's -msg log shows <paramref name="message"/>.</summary>
    private Task MessageLogged(string message, int occurrence, string what) =>
        Eventually.True(() => Occurrences(File.ReadAllText(_messages), message) >= occurrence, $"{what} (#{occurrence}) in s_server's -msg log");

    private static int Occurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>All a stream gave so far, read as it comes: s_server's stdout, where what it decrypted sits among its chatter.</summary>
    private sealed class Transcript
    {
        private readonly List<byte> _bytes = [];

        public Transcript(Stream stream) => _ = Task.Run(async () =>
        {
            byte[] buffer = new byte[16 * 1024];
            for (int count; (count = await stream.ReadAsync(buffer)) > 0;)
            {
                lock (_bytes)
                {
                    _bytes.AddRange(buffer.AsSpan(0, count));
                }
            }
        });

        public Task WaitForAsync(byte[] expected, string what) => Eventually.True(() => Contains(expected), what);

        private bool Contains(byte[] expected)
        {
            lock (_bytes)
            {
                return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes).IndexOf(expected) >= 0;
            }
        }
    }
}
