using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Features.Siem.Syslog;

namespace CodeRaft.Admin.Tests.Features.Siem.Syslog;

public sealed class SyslogSenderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Formats the record as its Details verbatim: the tests choose the exact bytes.</summary>
    private sealed class DetailsFormatter : ISiemFormatter
    {
        public string Format(SiemRecord record) => record.Entry!.Details;
    }

    private static SiemRecord Record(string text, long sequence = 1) => new(new AuditEntry { Sequence = sequence, Details = text }, null);

    private static async Task<List<string>> ReadFramesAsync(Stream stream, int count)
    {
        var frames = new List<string>();
        var reader = new BufferedStream(stream);
        while (frames.Count < count)
        {
            var length = 0;
            int b;
            while ((b = reader.ReadByte()) != ' ')
            {
                Assert.InRange(b, '0', '9');
                length = (length * 10) + (b - '0');
            }

            var buffer = new byte[length];
            await reader.ReadExactlyAsync(buffer);
            frames.Add(Encoding.UTF8.GetString(buffer));
        }

        return frames;
    }

    [Fact]
    public async Task SendAsync_Tcp_OctetCountsUtf8MessagesWithLineBreaks()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new SyslogEndpoint("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var sender = new SyslogStreamSender(endpoint, new DetailsFormatter(), null, Timeout, Timeout);

        await sender.SendAsync([Record("first line\nsecond line"), Record("Grüße 🚀 \"quoted\" ]")], CancellationToken.None);
        using var server = await listener.AcceptTcpClientAsync();
        var frames = await ReadFramesAsync(server.GetStream(), 2).WaitAsync(Timeout);

        Assert.Equal(["first line\nsecond line", "Grüße 🚀 \"quoted\" ]"], frames);
    }

    [Fact]
    public async Task SendAsync_ReceiverClosedTheConnection_ReportsLossThenReconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new SyslogEndpoint("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var sender = new SyslogStreamSender(endpoint, new DetailsFormatter(), null, Timeout, Timeout);
        await sender.SendAsync([Record("one")], CancellationToken.None);
        using (var first = await listener.AcceptTcpClientAsync())
        {
            Assert.Equal(["one"], await ReadFramesAsync(first.GetStream(), 1).WaitAsync(Timeout));
        }

        await Task.Delay(200); // the sender's reader sees the FIN
        var lost = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync([Record("two")], CancellationToken.None));
        Assert.Contains("closed by the receiver", lost.Message, StringComparison.Ordinal);
        Assert.NotNull(sender.TakeConnectionLostAt());
        Assert.Null(sender.TakeConnectionLostAt());

        await sender.SendAsync([Record("two")], CancellationToken.None);
        using var second = await listener.AcceptTcpClientAsync();
        Assert.Equal(["two"], await ReadFramesAsync(second.GetStream(), 1).WaitAsync(Timeout));
    }

    [Fact]
    public async Task SendAsync_NobodyListening_ClearMessage()
    {
        var port = TestSupport.AppProcess.FreePort();
        await using var sender = new SyslogStreamSender(new SyslogEndpoint("127.0.0.1", port), new DetailsFormatter(), null, Timeout, Timeout);
        var e = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync([Record("x")], CancellationToken.None));
        Assert.Equal($"TCP connection to 127.0.0.1:{port} failed: connection refused.", e.Message);
    }

    [Fact]
    public async Task SendAsync_Udp_OneDatagramPerMessage()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = new SyslogEndpoint("127.0.0.1", ((IPEndPoint)server.Client.LocalEndPoint!).Port);
        await using var sender = new SyslogUdpSender(endpoint, new DetailsFormatter());

        await sender.SendAsync([Record("a"), Record("b\nc")], CancellationToken.None);

        Assert.Equal("a", Encoding.UTF8.GetString((await server.ReceiveAsync().WaitAsync(Timeout)).Buffer));
        Assert.Equal("b\nc", Encoding.UTF8.GetString((await server.ReceiveAsync().WaitAsync(Timeout)).Buffer));
    }

    [Fact]
    public async Task SendAsync_TlsWithTrustedCa_DeliversOverTls13()
    {
        using var pki = new TestPki("127.0.0.1");
        await using var server = new TlsServer(pki.Server);
        await using var sender = new SyslogStreamSender(new SyslogEndpoint("127.0.0.1", server.Port), new DetailsFormatter(),
            new SyslogTlsSettings(pki.CaPem, null), Timeout, Timeout);

        await sender.SendAsync([Record("over tls")], CancellationToken.None);

        Assert.Equal(["over tls"], await server.ReadAsync(1));
        Assert.Equal(SslProtocols.Tls13, server.Protocol);
    }

    [Fact]
    public async Task SendAsync_TlsServerNotTrusted_HandshakeRefusedWithSafeMessage()
    {
        using var pki = new TestPki("127.0.0.1");
        using var other = new TestPki("127.0.0.1");
        await using var server = new TlsServer(pki.Server);
        await using var sender = new SyslogStreamSender(new SyslogEndpoint("127.0.0.1", server.Port), new DetailsFormatter(),
            new SyslogTlsSettings(other.CaPem, null), Timeout, Timeout);

        var e = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync([Record("x")], CancellationToken.None));
        Assert.StartsWith($"TLS connection to 127.0.0.1:{server.Port} failed: TLS handshake failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TlsHostNameMismatch_Refused()
    {
        using var pki = new TestPki("siem.example");
        await using var server = new TlsServer(pki.Server);
        await using var sender = new SyslogStreamSender(new SyslogEndpoint("127.0.0.1", server.Port), new DetailsFormatter(),
            new SyslogTlsSettings(pki.CaPem, null), Timeout, Timeout);

        var e = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync([Record("x")], CancellationToken.None));
        Assert.Contains("TLS handshake failed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a pem", null, "The trusted CA PEM holds no certificate.")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", null, "The trusted CA is not a valid PEM certificate.")]
    [InlineData("", "%%%", "The client certificate is not a PKCS#12 (base64) without password.")]
    public void SyslogTlsSettings_MalformedMaterial_ClearMessage(string ca, string? pfx, string message) =>
        Assert.Equal(message, Assert.Throws<SiemDeliveryException>(() => new SyslogTlsSettings(ca, pfx)).Message);

    [Fact]
    public async Task SendAsync_PeerNeverReads_WriteTimesOut()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = new SyslogEndpoint("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var sender = new SyslogStreamSender(endpoint, new DetailsFormatter(), null, Timeout, TimeSpan.FromMilliseconds(500));
        using var accepted = listener.AcceptTcpClientAsync();
        var big = new string('x', 1 << 20);

        // The receiver accepts but never reads: socket buffers fill and the write must give up, not hang.
        var e = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync([.. Enumerable.Range(0, 64).Select(i => Record(big, i))], CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
    }

    private sealed class TestPki : IDisposable
    {
        public TestPki(string host)
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Test SIEM CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            CaPem = ca.ExportCertificatePem();
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            if (IPAddress.TryParse(host, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(host);
            }

            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
            using var withKey = cert.CopyWithPrivateKey(key);
            Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }

        public string CaPem { get; }

        public X509Certificate2 Server { get; }

        public void Dispose() => Server.Dispose();
    }

    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task<SslStream> _accepted;

        public TlsServer(X509Certificate2 certificate)
        {
            _listener.Start();
            _accepted = AcceptAsync(certificate);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public SslProtocols Protocol { get; private set; }

        private async Task<SslStream> AcceptAsync(X509Certificate2 certificate)
        {
            var client = await _listener.AcceptTcpClientAsync();
            var ssl = new SslStream(client.GetStream());
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // the client refused us: what the failure tests expect
            }

            Protocol = ssl.SslProtocol;
            return ssl;
        }

        public async Task<List<string>> ReadAsync(int count) => await ReadFramesAsync(await _accepted.WaitAsync(Timeout), count).WaitAsync(Timeout);

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            if (_accepted.IsCompletedSuccessfully)
            {
                await _accepted.Result.DisposeAsync();
            }
        }
    }
}
