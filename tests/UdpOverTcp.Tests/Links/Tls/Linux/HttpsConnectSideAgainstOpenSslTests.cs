using System.Buffers.Binary;
using System.Net;
using System.Text;
using UdpOverTcp.Links.Upgrade;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.Links.Tls.Linux;

/// <summary>
/// The published connect side (--tcp-connect https://) against <c>openssl s_server -tls1_3</c> playing
/// the listen side by hand: it reads our exact Upgrade request as plaintext, then answers the 101 and a
/// frame in one write, so one TLS record carries both: the frame, decrypted during the set-up past the
/// 101, must still reach the app as the link's first datagram.
/// </summary>
[EndToEndTest]
[NeedsLinux]
public sealed class HttpsConnectSideAgainstOpenSslTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    [SkippableFact]
    public async Task A_frame_in_the_same_record_as_the_101_reaches_the_app_and_frames_go_back()
    {
        int port = FreePort.Tcp(), bx = FreePort.Udp();
        using var server = await OpenSslPeer.ServerAsync(port, certificates.Server);
        using var appX = new UdpApp();
        using var connectSide = TunnelProcess.Start(
            "--tcp-connect", $"https://localhost:{port}/tunnel", "--tls-ca", certificates.Ca.Certificate,
            "--udp-bind", bx.ToString(), "--udp-sendto", appX.EndPoint.Port.ToString());   // the default lanes: time-bounded, with the unsent budget

        byte[] request = UpgradeRequest.Write($"localhost:{port}", "/tunnel");
        Assert.Equal(request, await server.ReadExactlyAsync(request.Length));
        byte[] first = Encoding.ASCII.GetBytes("the first datagram, in the 101's record");
        server.Input.Write([.. UpgradeResponse.SwitchingProtocols, .. Frame(first)]);
        server.Input.Flush();

        var (data, _) = await appX.ReceiveAsync("the datagram sent with the 101");
        Assert.Equal(first, data);
        await connectSide.WaitForLineAsync("link up: connected");

        byte[] back = Encoding.ASCII.GetBytes("and one back, encrypted by the link's send loop");
        appX.SendTo(new IPEndPoint(IPAddress.Loopback, bx), back);
        Assert.Equal(Frame(back), await server.ReadExactlyAsync(2 + back.Length));
    }

    /// <summary>A u16be frame (RFC 4571), as the Upgrade implies.</summary>
    internal static byte[] Frame(byte[] payload)
    {
        byte[] frame = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame, 2);
        return frame;
    }
}
