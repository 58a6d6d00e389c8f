namespace UdpOverTcp.Tests.Support;

/// <summary>
/// Debian's nginx as a child process in the foreground, on a loopback port of its own, with a config,
/// pid file, logs and temp paths in a temp dir of its own (never the system's config or service). It
/// serves <see cref="Page"/> at / and proxies the HTTP Upgrade at <see cref="UpgradePath"/> to
/// http://127.0.0.1:upstream (as a site in front of a tunnel would); with a certificate it listens
/// with TLS 1.3 only. One process (master_process off), so nothing outlives it; stopped with
/// SIGTERM and awaited on dispose, the temp dir removed.
/// </summary>
public sealed class NginxPeer : IAsyncDisposable
{
    /// <summary>The static page at /.</summary>
    public const string Page = "<html><body>an ordinary web site, with a tunnel beside it</body></html>\n";

    private readonly string _directory;

    private NginxPeer(TunnelProcess process, int port, string directory, string upgradePath, bool tls)
    {
        Process = process;
        Port = port;
        _directory = directory;
        UpgradePath = upgradePath;
        Tls = tls;
    }

    public TunnelProcess Process { get; }

    public int Port { get; }

    public string UpgradePath { get; }

    public bool Tls { get; }

    /// <summary>The URL of the upgrade location, e.g. http://127.0.0.1:PORT/tunnel.</summary>
    public string UpgradeUrl => $"{(Tls ? "https" : "http")}://127.0.0.1:{Port}{UpgradePath}";

    /// <summary>
    /// Requests nginx wrote to its access log so far, one a line in its "combined" format plus the TLS
    /// version they came over ($ssl_protocol: e.g. TLSv1.3, or - without TLS). An upgraded request is
    /// written when its connection ends.
    /// </summary>
    public string AccessLog => File.Exists(Path.Combine(_directory, "access.log")) ? File.ReadAllText(Path.Combine(_directory, "access.log")) : "";

    /// <summary>
    /// Starts nginx proxying <paramref name="upgradePath"/> to 127.0.0.1:<paramref name="upstreamPort"/>,
    /// with TLS 1.3 and <paramref name="certificate"/> when given; returns once it accepts connections.
    /// </summary>
    public static async Task<NginxPeer> StartAsync(int upstreamPort, string upgradePath = "/tunnel", CertificateFiles? certificate = null)
    {
        string nginx = RequiredPeers.Program("nginx", "nginx");
        int port = FreePort.Tcp();
        string directory = Directory.CreateTempSubdirectory("uot-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "www"));
        File.WriteAllText(Path.Combine(directory, "www", "index.html"), Page);
        string config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, Config(directory, port, upstreamPort, upgradePath, certificate));

        var process = TunnelProcess.StartProgram(nginx, "-p", directory + "/", "-c", config, "-e", "stderr", "-g", "daemon off;");
        var peer = new NginxPeer(process, port, directory, upgradePath, certificate is not null);
        try
        {
            await TcpAccepting.WaitAsync(port, process, "nginx");
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The whole config: every path nginx writes is in <paramref name="directory"/> (Debian's build
    /// compiles in /run/nginx.pid, /var/lib/nginx/* and /var/log/nginx). No user directive: with
    /// master_process off there are no workers to switch to another user, so root or not, nginx runs
    /// as the test does.
    /// </summary>
    private static string Config(string directory, int port, int upstreamPort, string upgradePath, CertificateFiles? certificate) => $$"""
        master_process off;
        pid {{directory}}/nginx.pid;
        lock_file {{directory}}/nginx.lock;
        error_log stderr notice;
        events {
            worker_connections 64;
        }
        http {
            log_format combined_tls '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $ssl_protocol';
            access_log {{directory}}/access.log combined_tls;
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            types {
                text/html html;
            }
            server {
                listen 127.0.0.1:{{port}}{{(certificate is null ? "" : " ssl")}};
                server_name localhost;
                {{(certificate is null ? "" : $"ssl_certificate {certificate.Certificate}; ssl_certificate_key {certificate.Key}; ssl_protocols TLSv1.3;")}}
                root {{directory}}/www;
                location / {
                    index index.html;
                }
                location {{upgradePath}} {
                    proxy_pass http://127.0.0.1:{{upstreamPort}};
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection "upgrade";
                    proxy_read_timeout 3600s;
                    proxy_send_timeout 3600s;
                }
            }
        }

        """;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Terminate();   // SIGTERM: nginx's fast shutdown
                await Process.WaitForExitAsync();
            }
        }
        finally
        {
            Process.Dispose();   // kills it if it did not exit
            Directory.Delete(_directory, recursive: true);
        }
    }
}
