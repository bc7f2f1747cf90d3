using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Infrastructure.Hosting;

/// <summary>The real Kestrel endpoint: when the portal terminates TLS itself, TLS 1.3 only, HSTS, request limits.</summary>
public sealed class KestrelEndpointTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _work = new();
    private System.Diagnostics.Process? _portal;
    private int _port;
    private byte[] _certificateHash = [];

    public async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=portal.example.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("portal.example.test");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        _certificateHash = certificate.GetCertHash(HashAlgorithmName.SHA256);
        var pfx = _work.Combine("portal.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-pfx-password"));

        _port = AppProcess.FreePort();
        _portal = AppProcess.Start(_work.Path, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"https://127.0.0.1:{_port}",
            ["Kestrel__Certificates__Default__Path"] = pfx,
            ["Kestrel__Certificates__Default__Password"] = "test-pfx-password",
            ["Storage__DataDirectory"] = _work.Combine("data"),
            ["CODERAFT_MASTER_SECRET"] = TestSecrets.NewMasterSecret(),
        });

        // Bounded wait until the TLS 1.3 handshake succeeds.
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (_portal.HasExited)
            {
                throw new InvalidOperationException(await _portal.StandardError.ReadToEndAsync());
            }

            try
            {
                await GetAsync(SslProtocols.Tls13, "/healthz");
                return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("The portal did not start its HTTPS endpoint.");
    }

    public async Task DisposeAsync()
    {
        if (_portal is not null)
        {
            _portal.Kill(entireProcessTree: true);
            await _portal.WaitForExitAsync();
            _portal.Dispose();
        }

        Dispose();
    }

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Handshake_Tls13_SucceedsWithHsts()
    {
        var response = await GetAsync(SslProtocols.Tls13, "/healthz");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains("Strict-Transport-Security: max-age=31536000; includeSubDomains", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Handshake_Tls12Only_Refused()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => GetAsync(SslProtocols.Tls12, "/healthz"));
    }

    // Pin the self-signed test certificate instead of trusting any certificate.
    private bool IsOurCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), _certificateHash);

    [Fact]
    public async Task Post_BodyOverLimit_Refused413()
    {
        // A form post is read by antiforgery: Kestrel's limit (Limits:MaxRequestBodyBytes, 1 MiB) refuses it on the declared length.
        var response = await SendAsync(SslProtocols.Tls13,
            "POST / HTTP/1.1\r\nHost: portal.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
    }

    private Task<string> GetAsync(SslProtocols protocols, string path) =>
        SendAsync(protocols, $"GET {path} HTTP/1.1\r\nHost: portal.example.test\r\nConnection: close\r\n\r\n");

    private async Task<string> SendAsync(SslProtocols protocols, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _port);
        await using var tls = new SslStream(tcp.GetStream(), false, IsOurCertificate);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "portal.example.test",
            EnabledSslProtocols = protocols,
        });
        Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(tls, Encoding.ASCII);
        return await reader.ReadToEndAsync();
    }
}
