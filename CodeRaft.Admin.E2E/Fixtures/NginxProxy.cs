using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// Debian's nginx + ModSecurity v3 + OWASP CRS 3.3 in front of a portal, run from the SHIPPED configuration:
/// deploy/nginx/nginx.conf and the files it includes (deploy/nginx/coderaft/, deploy/nginx/modsec/) are copied to
/// a temporary prefix with only deployment-specific values rewritten — listen addresses, certificate paths, the
/// upstream, pid/log/temp paths, and the /etc/nginx/coderaft/ include prefix. Every rewrite must match, or the
/// proxy refuses to start: a silently missed rewrite would test something other than what ships.
/// TLS with a throw-away self-signed certificate for <see cref="HostName"/> (a name, not a numeric Host: CRS 920350).
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    public const string HostName = "admin.coderaft.test";
    public const string ModuleFile = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so";

    private readonly string _prefix;
    private readonly Process _process;

    private NginxProxy(string prefix, Process process, int httpsPort, byte[] certificateHash)
    {
        _prefix = prefix;
        _process = process;
        HttpsPort = httpsPort;
        _certificateHash = certificateHash;
    }

    private readonly byte[] _certificateHash;

    public int HttpsPort { get; }

    /// <summary>https://admin.coderaft.test:{port}/ — resolve the name to 127.0.0.1 (Chromium: --host-resolver-rules).</summary>
    public Uri BaseAddress => new($"https://{HostName}:{HttpsPort}/");

    /// <summary>nginx's error log, where ModSecurity reports what it matched and blocked.</summary>
    public string ErrorLog => File.Exists(Path.Combine(_prefix, "error.log")) ? ReadShared(Path.Combine(_prefix, "error.log")) : "";

    public static bool IsAvailable => File.Exists("/usr/sbin/nginx") && File.Exists(ModuleFile) && Directory.Exists("/usr/share/modsecurity-crs/rules");

    public static async Task<NginxProxy> StartAsync(Uri upstream)
    {
        var deploy = Path.Combine(RepositoryRoot(), "deploy", "nginx");
        var prefix = Directory.CreateTempSubdirectory("coderaft-nginx-").FullName;
        var included = Path.Combine(prefix, "coderaft");
        CopyRewritten(Path.Combine(deploy, "coderaft"), included, prefix);
        CopyRewritten(Path.Combine(deploy, "modsec"), Path.Combine(included, "modsec"), prefix);
        var certificateHash = await CreateCertificateAsync(prefix);

        var httpsPort = FreePort();
        var httpPort = FreePort();
        var conf = await File.ReadAllTextAsync(Path.Combine(deploy, "nginx.conf"));
        conf = Rewrite(conf,
            ("pid /tmp/nginx.pid;", $"pid {prefix}/nginx.pid;"),
            ("error_log /dev/stderr warn;", $"error_log {prefix}/error.log warn;"),
            ("access_log /dev/stdout coderaft;", $"access_log {prefix}/access.log coderaft;"),
            ("/tmp/nginx-", $"{prefix}/nginx-"),
            ("listen 8080 default_server;", $"listen 127.0.0.1:{httpPort} default_server;"),
            ("listen 8443 ssl default_server;", $"listen 127.0.0.1:{httpsPort} ssl default_server;"),
            ("/run/secrets/proxy_tls_certificate;", $"{prefix}/cert.pem;"),
            ("/run/secrets/proxy_tls_key;", $"{prefix}/key.pem;"),
            ("set $portal_upstream http://portal:8080;", $"set $portal_upstream {upstream.GetLeftPart(UriPartial.Authority)};"),
            ("/etc/nginx/coderaft/", $"{included}/"));
        // Root runs the master; the workers run as nobody and must read the files and write the temp paths.
        conf = "user root;\n" + conf;
        await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), conf);

        var start = new ProcessStartInfo("/usr/sbin/nginx", ["-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-g", "daemon off;"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var proxy = new NginxProxy(prefix, process, httpsPort, certificateHash);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await AcceptsAsync(httpsPort))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string output;
                lock (stderr)
                {
                    output = stderr.ToString();
                }

                await proxy.DisposeAsync();
                throw new InvalidOperationException($"nginx did not start: {output} {proxy.ErrorLog}");
            }

            await Task.Delay(100);
        }

        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
            // A worker may still hold a log file for a moment; the temp directory is cleaned by the OS.
        }
    }

    /// <summary>An HttpClient that connects to the proxy for <see cref="HostName"/>, optionally from a given loopback address.</summary>
    public HttpClient CreateClient(IPAddress? from = null, System.Security.Authentication.SslProtocols protocols = System.Security.Authentication.SslProtocols.None)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            // Pinned: exactly the throw-away certificate this proxy was started with.
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256).AsSpan().SequenceEqual(_certificateHash),
                EnabledSslProtocols = protocols,
            },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (from is not null)
                    {
                        socket.Bind(new IPEndPoint(from, 0));
                    }

                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HttpsPort), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static string Rewrite(string text, params (string From, string To)[] rewrites)
    {
        foreach (var (from, to) in rewrites)
        {
            if (!text.Contains(from, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"deploy/nginx/nginx.conf no longer contains '{from}'; update NginxProxy so the test still runs the shipped file.");
            }

            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return text;
    }

    private static void CopyRewritten(string from, string to, string prefix)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*.conf"))
        {
            var text = File.ReadAllText(file).Replace("/etc/nginx/coderaft/", $"{prefix}/coderaft/", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(to, Path.GetFileName(file)), text);
        }
    }

    private static async Task<byte[]> CreateCertificateAsync(string prefix)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={HostName}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddDnsName(HostName);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(prefix, "cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(prefix, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        return certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Admin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Admin.sln not found above the test binaries.");
    }
}
