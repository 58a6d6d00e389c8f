using System.Net;
using UdpOverTcp.Tests.Support;

namespace UdpOverTcp.Tests.E2E;

/// <summary>
/// The README's scenario exactly: two hosts (network namespaces, each with its own loopback), a real
/// `ssh -L 7878:127.0.0.1:7878` forward from X to Y, and both tunnel ends run with the README's
/// arguments and default addresses on the same ports A and B. sshd runs in Y in inetd mode (`-i`)
/// behind ssh's ProxyCommand, so no network but the two loopbacks is involved.
/// </summary>
[EndToEndTest]
[NeedsRoot]
public sealed class TwoHostsOverSshTests
{
    private const string TcpPort = "7878";
    private const int A = 51820;
    private const int B = 51821;

    [SkippableFact]
    public async Task Readme_scenario_over_ssh_port_forward_carries_datagrams_both_ways_with_bonded_ports()
    {
        using var hostX = new NetworkNamespace("x");
        using var hostY = new NetworkNamespace("y");
        using var keys = SshKeys.Create();

        // Y $ udp-over-tcp --tcp-listen 7878 --udp-bind $A --udp-sendto $B
        using var tunnelY = TunnelProcess.StartIn(hostY, "--tcp-listen", TcpPort, "--udp-bind", $"{A}", "--udp-sendto", $"{B}");
        await tunnelY.WhenReadyAsync();

        // X $ ssh -L 7878:127.0.0.1:7878 $Y
        using var ssh = TunnelProcess.StartProgram(hostX.Wrap("ssh",
            "-N", "-L", $"{TcpPort}:127.0.0.1:{TcpPort}", "-i", keys.UserKey, "-v",
            "-o", $"ProxyCommand=ip netns exec {hostY.Name} /usr/sbin/sshd -i -f {keys.SshdConfig}",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "ExitOnForwardFailure=yes", "root@host-y"));
        await ssh.WaitForLineAsync($"Local forwarding listening on 127.0.0.1 port {TcpPort}");

        // X $ udp-over-tcp --tcp-connect 7878 --udp-bind $B --udp-sendto $A
        using var tunnelX = TunnelProcess.StartIn(hostX, "--tcp-connect", TcpPort, "--udp-bind", $"{B}", "--udp-sendto", $"{A}");
        await tunnelX.WaitForLineAsync("link up: connected");
        await tunnelY.WaitForLineAsync("link up: accepted");

        // The apps: X bound to A, Y bound to B, each on its own host's loopback.
        using var appX = hostX.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, A)));
        using var appY = hostY.Create(() => new UdpApp(new IPEndPoint(IPAddress.Loopback, B)));
        var toB = new IPEndPoint(IPAddress.Loopback, B);
        var toA = new IPEndPoint(IPAddress.Loopback, A);

        // App X sends to 127.0.0.1:B and sees Y's replies from 127.0.0.1:B; app Y likewise with A.
        await Task.WhenAll(
            VerifiedExchange.RunAsync(appX, toB, appY, toA, VerifiedExchange.MixedSizes(300, 40)),
            VerifiedExchange.RunAsync(appY, toA, appX, toB, VerifiedExchange.MixedSizes(300, 41)));
    }

    /// <summary>A throwaway host key, user key and sshd config in a temp directory.</summary>
    private sealed class SshKeys : IDisposable
    {
        private SshKeys(string dir) => Dir = dir;

        public string Dir { get; }
        public string UserKey => Path.Combine(Dir, "user");
        public string SshdConfig => Path.Combine(Dir, "sshd_config");

        public static SshKeys Create()
        {
            if (!File.Exists("/usr/sbin/sshd"))
            {
                throw new InvalidOperationException("/usr/sbin/sshd is missing: install openssh-server (.ci/run does)");
            }

            // sshd refuses to start without its privilege separation directory.
            Directory.CreateDirectory("/run/sshd");
            var keys = new SshKeys(Directory.CreateTempSubdirectory("uot-ssh-").FullName);
            Command.RunChecked("needs openssh-client", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(keys.Dir, "host"));
            Command.RunChecked("needs openssh-client", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys.UserKey);
            File.Copy(keys.UserKey + ".pub", Path.Combine(keys.Dir, "authorized_keys"));
            File.WriteAllText(keys.SshdConfig, $"""
                HostKey {keys.Dir}/host
                AuthorizedKeysFile {keys.Dir}/authorized_keys
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                StrictModes no
                UsePAM no
                AllowTcpForwarding yes
                PidFile none

                """);
            return keys;
        }

        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }
}
