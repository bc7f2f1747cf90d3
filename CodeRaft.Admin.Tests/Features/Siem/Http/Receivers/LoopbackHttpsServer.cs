using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.Features.Siem.Http.Receivers;

/// <summary>
/// A real Kestrel HTTPS server on 127.0.0.1 (random port) with a self-signed certificate made for the test, so the
/// senders exercise their actual TLS, HTTP and timeout code paths against a receiver that speaks the protocol.
/// </summary>
public abstract class LoopbackHttpsServer : IAsyncDisposable
{
    private WebApplication? _app;

    protected LoopbackHttpsServer(X509Certificate2? certificate = null)
    {
        Certificate = certificate ?? CreateSelfSignedCertificate();
    }

    /// <summary>When set, the server asks for a client certificate and records the one it got.</summary>
    public bool RequestClientCertificate { get; init; }

    public X509Certificate2? LastClientCertificate { get; protected set; }

    public X509Certificate2 Certificate { get; }

    /// <summary>The PEM a target puts in TrustedCaPem to trust this server (its self-signed certificate).</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    public Uri BaseUri { get; private set; } = new("https://127.0.0.1/");

    protected abstract void Map(WebApplication app);

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = Certificate;
            if (RequestClientCertificate)
            {
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                // The test's client certificate is self-signed; the test checks which one arrived.
                https.ClientCertificateValidation = (_, _, _) => true;
            }
        })));
        _app = builder.Build();
        Map(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseUri = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(stop.Token);
            await _app.DisposeAsync();
        }

        Certificate.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Self-signed for CN=localhost with SANs 127.0.0.1 and localhost, so host-name validation passes.</summary>
    public static X509Certificate2 CreateSelfSignedCertificate(string commonName = "localhost", bool loopbackNames = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (loopbackNames)
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
        }
        else
        {
            san.AddDnsName(commonName);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}
