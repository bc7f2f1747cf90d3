using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;

namespace CodeRaft.Admin.Tests.Features.Siem.Management;

/// <summary>Every field of a SIEM target: valid forms pass, each bad form gets its own clear message.</summary>
public sealed class SiemTargetInputValidatorTests
{
    private readonly SiemTargetInputValidator _validator = new();

    internal static string WebhookSecret(int bytes = 32) => SiemTargetInputValidator.WebhookSecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));

    internal static SiemTargetInput Syslog(string endpoint = "siem.example.com:6514", string type = "syslog-tls") =>
        new() { Name = "Graylog", Type = type, Endpoint = endpoint };

    internal static SiemTargetInput Webhook(string? secret = null) =>
        new() { Name = "Hook", Type = "webhook", Endpoint = "https://hooks.example.com/coderaft", Secret = secret ?? WebhookSecret() };

    internal static SiemTargetInput Hec(string token = "8a1e3c2f-6d1b-4e5f-9a0b-1c2d3e4f5a6b") =>
        new() { Name = "Splunk", Type = "splunk-hec", Endpoint = "https://splunk.example.com:8088/services/collector/event", Secret = token };

    internal static X509Certificate2 SelfSigned(string subject = "CN=Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private IReadOnlyList<(string Property, string Message)> Errors(SiemTargetInput input) =>
        [.. _validator.Validate(input).Errors.Select(e => (e.PropertyName, e.ErrorMessage))];

    private void AssertOnly(SiemTargetInput input, string property, string contains)
    {
        var errors = Errors(input);
        var error = Assert.Single(errors);
        Assert.Equal(property, error.Property);
        Assert.Contains(contains, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("siem.example.com:514")]
    [InlineData("localhost:6514")]
    [InlineData("192.0.2.10:514")]
    [InlineData("[2001:db8::1]:6514")]
    [InlineData("[::1]:1")]
    [InlineData("a-b.c-d.example:65535")]
    [InlineData("siem.example.com.:514")]
    public void Validate_SyslogEndpoint_Accepted(string endpoint)
    {
        Assert.Empty(Errors(Syslog(endpoint)));
        Assert.True(CodeRaft.Admin.Features.Siem.Syslog.SyslogEndpoint.TryParse(endpoint, out _), "the syslog sender must parse what the validator accepts");
    }

    [Theory]
    [InlineData("", "host:port")]
    [InlineData("siem.example.com", "host:port")]
    [InlineData("siem.example.com:", "host:port")]
    [InlineData("siem.example.com:0", "port must be a number from 1 to 65535")]
    [InlineData("siem.example.com:65536", "port must be a number from 1 to 65535")]
    [InlineData("siem.example.com:-1", "port must be a number")]
    [InlineData("siem.example.com:+514", "port must be a number")]
    [InlineData("siem.example.com: 514", "port must be a number")]
    [InlineData("2001:db8::1:514", "IPv6 address goes in brackets")]
    [InlineData("[2001:db8::1:514", "IPv6 address goes in brackets")]
    [InlineData("[192.0.2.1]:514", "IPv6 address goes in brackets")]
    [InlineData("[fe80::1%eth0]:514", "IPv6 address goes in brackets")]
    [InlineData("256.1.1.1:514", "not a valid IPv4 address")]
    [InlineData("01.2.3.4:514", "not a valid IPv4 address")]
    [InlineData("-bad.example.com:514", "must be a DNS name")]
    [InlineData("bad_host.example.com:514", "must be a DNS name")]
    [InlineData("siem..example.com:514", "must be a DNS name")]
    [InlineData("sïem.example.com:514", "must be a DNS name")]
    [InlineData("https://siem.example.com:514", "IPv6 address goes in brackets")]
    public void Validate_BadSyslogEndpoint_FieldMessage(string endpoint, string message) =>
        AssertOnly(Syslog(endpoint), nameof(SiemTargetInput.Endpoint), message);

    [Fact]
    public void Validate_UrlWithQueryString_FieldMessage()
    {
        var input = Webhook();
        input.Endpoint = "https://hooks.example.com/coderaft?token=abc";
        AssertOnly(input, nameof(SiemTargetInput.Endpoint), "query string");
    }

    [Fact]
    public void Validate_OverlongLabelOrHost_FieldMessage()
    {
        AssertOnly(Syslog(new string('a', 64) + ".example.com:514"), nameof(SiemTargetInput.Endpoint), "DNS name");
        AssertOnly(Syslog(string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ":514"), nameof(SiemTargetInput.Endpoint), "DNS name");
    }

    [Theory]
    [InlineData("https://hooks.example.com/coderaft")]
    [InlineData("https://[2001:db8::1]:8443/hook")]
    [InlineData("https://192.0.2.1/")]
    public void Validate_WebhookUrl_Accepted(string url)
    {
        var input = Webhook();
        input.Endpoint = url;
        Assert.Empty(Errors(input));
    }

    [Theory]
    [InlineData("", "Enter the webhook URL")]
    [InlineData("http://hooks.example.com/", "must start with https://")]
    [InlineData("ftp://hooks.example.com/", "must start with https://")]
    [InlineData("hooks.example.com/hook", "not an absolute URL")]
    [InlineData("/hook", "not an absolute URL")]
    [InlineData("https://user:pass@hooks.example.com/", "must not contain a user name or password")]
    [InlineData("https://hooks.example.com/#frag", "must not contain a fragment")]
    [InlineData("https://hooks.example.com/a b", "must not contain spaces")]
    [InlineData("https://hooks.exämple.com/", "non-ASCII")]
    [InlineData("https://hooks.example.com/\u202Eevil", "non-ASCII")]
    [InlineData("javascript:alert(1)", "not an absolute URL")]
    public void Validate_BadUrl_FieldMessage(string url, string message)
    {
        var input = Webhook();
        input.Endpoint = url;
        AssertOnly(input, nameof(SiemTargetInput.Endpoint), message);
    }

    [Fact]
    public void Validate_OverlongUrl_FieldMessage()
    {
        var input = Webhook();
        input.Endpoint = "https://hooks.example.com/" + new string('a', 2048);
        AssertOnly(input, nameof(SiemTargetInput.Endpoint), "at most 2,048 characters");
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("  ", false)]
    [InlineData("x", true)]
    public void Validate_Name_Rules(string name, bool okExceptEmpty)
    {
        var input = Syslog();
        input.Name = name;
        var errors = Errors(input);
        Assert.Equal(name.Trim().Length > 0 && okExceptEmpty, errors.Count == 0);
    }

    [Theory]
    [InlineData("bad\u0000name", "control characters")]
    [InlineData("bad\u202Ename", "control characters")]
    [InlineData("line\nbreak", "control characters")]
    public void Validate_DirtyName_FieldMessage(string name, string message)
    {
        var input = Syslog();
        input.Name = name;
        AssertOnly(input, nameof(SiemTargetInput.Name), message);
    }

    [Fact]
    public void Validate_LongName_FieldMessage()
    {
        var input = Syslog();
        input.Name = new string('n', 101);
        AssertOnly(input, nameof(SiemTargetInput.Name), "at most 100 characters");
    }

    [Theory]
    [InlineData("syslog")]
    [InlineData("splunk")]
    [InlineData("")]
    [InlineData(null)]
    public void Validate_UnknownType_FieldMessage(string? type)
    {
        var input = Syslog();
        input.Type = type;
        Assert.Contains(Errors(input), e => e.Property == nameof(SiemTargetInput.Type) && e.Message.Contains("syslog-udp, syslog-tcp, syslog-tls, splunk-hec, webhook", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("syslog-udp", "rfc5424", true)]
    [InlineData("syslog-tcp", "CEF", true)]
    [InlineData("syslog-tls", "leef", true)]
    [InlineData("syslog-tls", "", true)]
    [InlineData("syslog-tls", "json", false)]
    [InlineData("syslog-tls", "gelf", false)]
    public void Validate_SyslogFormat(string type, string format, bool ok)
    {
        var input = Syslog(type: type);
        input.Format = format;
        Assert.Equal(ok, Errors(input).Count == 0);
    }

    [Theory]
    [InlineData("json", true)]
    [InlineData("", true)]
    [InlineData("cef", false)]
    public void Validate_HttpFormat_OnlyJson(string format, bool ok)
    {
        var input = Webhook();
        input.Format = format;
        Assert.Equal(ok, Errors(input).Count == 0);
        Assert.Equal(CodeRaft.Admin.Features.Siem.SiemFormat.Json, SiemTargetInputValidator.EffectiveFormat(CodeRaft.Admin.Features.Siem.SiemTargetType.Webhook, format));
    }

    [Theory]
    [InlineData("audit@32473", true)]
    [InlineData("a", true)]
    [InlineData("x@1234567890123456789012345678901", false)] // 33 characters
    [InlineData("", false)]
    [InlineData("audit 1", false)]
    [InlineData("audit=1", false)]
    [InlineData("audit]1", false)]
    [InlineData("audit\"1", false)]
    [InlineData("audité", false)]
    [InlineData("audit\u007f", false)]
    public void Validate_SdId(string sdId, bool ok)
    {
        var input = Syslog();
        input.StructuredDataId = sdId;
        Assert.Equal(ok, Errors(input).Count == 0);
        if (!ok)
        {
            AssertOnly(input, nameof(SiemTargetInput.StructuredDataId), "SD-ID");
        }
    }

    [Theory]
    [InlineData("entraguard ravenscan", "", "", true)]
    [InlineData("admin,redfox-bastion", "auth users", "success, denied", true)]
    [InlineData("unknown", "", "", false)]
    [InlineData("", "", "maybe", false)]
    [InlineData("", "Auth", "", false)]
    [InlineData("", "auth;users", "", false)]
    [InlineData("", "<script>", "", false)]
    public void Validate_Filters(string products, string categories, string outcomes, bool ok)
    {
        var input = Syslog();
        (input.Products, input.Categories, input.Outcomes) = (products, categories, outcomes);
        Assert.Equal(ok, Errors(input).Count == 0);
    }

    [Fact]
    public void Validate_Secret_RequiredForHttpForbiddenForSyslog()
    {
        AssertOnly(Hec(""), nameof(SiemTargetInput.Secret), "Enter the HEC token");
        AssertOnly(Webhook(" "), nameof(SiemTargetInput.Secret), "Enter the webhook signing secret");
        var syslog = Syslog();
        syslog.Secret = "token";
        AssertOnly(syslog, nameof(SiemTargetInput.Secret), "take no token or secret");

        var kept = Hec("");
        kept.HasStoredSecret = true;
        Assert.Empty(Errors(kept));
    }

    [Theory]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64")]
    [InlineData("whsec_@@@@")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    public void Validate_MalformedWebhookSecret_FieldMessage(string secret) =>
        AssertOnly(Webhook(secret), nameof(SiemTargetInput.Secret), "whsec_ followed by the base64 of 24 to 64 random bytes");

    [Theory]
    [InlineData(23, false)]
    [InlineData(24, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void Validate_WebhookSecretLength(int bytes, bool ok) => Assert.Equal(ok, Errors(Webhook(WebhookSecret(bytes))).Count == 0);

    [Fact]
    public void Validate_StandardWebhooksSampleSecret_Accepted() =>
        Assert.Empty(Errors(Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")));

    [Theory]
    [InlineData("tok en")]
    [InlineData("tök")]
    [InlineData("tok\u0000")]
    public void Validate_BadHecToken_FieldMessage(string token) => AssertOnly(Hec(token), nameof(SiemTargetInput.Secret), "HEC token");

    [Fact]
    public void Validate_TrustedCa_CertificateAcceptedGarbageRefused()
    {
        using var ca = SelfSigned();
        var input = Syslog();
        input.TrustedCaPem = ca.ExportCertificatePem();
        Assert.Empty(Errors(input));

        input.TrustedCaPem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----";
        AssertOnly(input, nameof(SiemTargetInput.TrustedCaPem), "not a PEM certificate");
        input.TrustedCaPem = "hello";
        AssertOnly(input, nameof(SiemTargetInput.TrustedCaPem), "not a PEM certificate");
        using var key = ECDsa.Create();
        input.TrustedCaPem = key.ExportSubjectPublicKeyInfoPem();
        AssertOnly(input, nameof(SiemTargetInput.TrustedCaPem), "not a PEM certificate");
        input.TrustedCaPem = ca.ExportCertificatePem() + new string(' ', SiemTargetInputValidator.MaxPemLength);
        AssertOnly(input, nameof(SiemTargetInput.TrustedCaPem), "at most 64 KiB");

        var udp = Syslog(type: "syslog-udp");
        udp.TrustedCaPem = ca.ExportCertificatePem();
        AssertOnly(udp, nameof(SiemTargetInput.TrustedCaPem), "TLS targets only");
    }

    [Fact]
    public void Validate_ClientCertificate_WithKeyAcceptedOtherwiseMessage()
    {
        using var certificate = SelfSigned("CN=client");
        var input = Syslog();
        input.ClientCertificatePfx = Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12, "pw"));
        input.ClientCertificatePassword = "pw";
        Assert.Empty(Errors(input));

        input.ClientCertificatePassword = "wrong";
        AssertOnly(input, nameof(SiemTargetInput.ClientCertificatePfx), "password is wrong");

        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        input.ClientCertificatePfx = Convert.ToBase64String(publicOnly.Export(X509ContentType.Pkcs12));
        input.ClientCertificatePassword = null;
        AssertOnly(input, nameof(SiemTargetInput.ClientCertificatePfx), "no private key");

        input.ClientCertificatePfx = "%%%";
        AssertOnly(input, nameof(SiemTargetInput.ClientCertificatePfx), "encoded as base64");
        input.ClientCertificatePfx = Convert.ToBase64String("not a pfx"u8);
        AssertOnly(input, nameof(SiemTargetInput.ClientCertificatePfx), "not a PKCS#12 file");
    }

    [Fact]
    public void Validate_HecOnlyFields_RefusedElsewhere()
    {
        var input = Webhook();
        input.HecIndex = "main";
        input.HecAcknowledgments = true;
        var errors = Errors(input);
        Assert.Contains(errors, e => e.Property == nameof(SiemTargetInput.HecIndex));
        Assert.Contains(errors, e => e.Property == nameof(SiemTargetInput.HecAcknowledgments));

        var hec = Hec();
        hec.HecIndex = "main";
        hec.HecSourceType = "coderaft:audit";
        hec.HecAcknowledgments = true;
        Assert.Empty(Errors(hec));
        hec.HecIndex = "Main Index";
        AssertOnly(hec, nameof(SiemTargetInput.HecIndex), "lowercase");
    }

    [Fact]
    public void Validate_NaughtyStrings_NeverThrowAndNeverAcceptedAsEndpointUnlessWellFormed()
    {
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            foreach (var make in new Func<SiemTargetInput>[] { () => Syslog(), () => Webhook(), () => Hec() })
            {
                var input = make();
                input.Endpoint = naughty;
                input.StructuredDataId = naughty;
                input.Products = naughty;
                input.Categories = naughty;
                input.Outcomes = naughty;
                input.TrustedCaPem = naughty;
                input.ClientCertificatePfx = naughty;
                var result = _validator.Validate(input); // never throws
                if (input.ParsedType == CodeRaft.Admin.Features.Siem.SiemTargetType.SyslogTls && !result.Errors.Any(e => e.PropertyName == nameof(SiemTargetInput.Endpoint)))
                {
                    Assert.True(CodeRaft.Admin.Features.Siem.Syslog.SyslogEndpoint.TryParse(naughty, out _), naughty);
                }

                foreach (var error in result.Errors)
                {
                    Assert.False(string.IsNullOrWhiteSpace(error.ErrorMessage));
                    Assert.DoesNotContain(naughty.Length > 3 ? naughty : "\u0001never", error.ErrorMessage, StringComparison.Ordinal); // messages do not echo input
                }

                var named = make();
                named.Name = naughty;
                _ = _validator.Validate(named);
                var secret = make();
                secret.Secret = naughty;
                _ = _validator.Validate(secret);
            }
        }
    }
}
