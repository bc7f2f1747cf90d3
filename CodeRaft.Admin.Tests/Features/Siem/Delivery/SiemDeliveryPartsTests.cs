using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Features.Siem.Syslog;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

public sealed class SiemDeliveryPartsTests
{
    private static SiemTarget Target(string secret = "") => new() { Name = "t", Endpoint = "x", CreatedBy = "t", Secret = secret };

    [Theory]
    [InlineData(1, 0.0, 1000)]
    [InlineData(1, 1.0, 1000)]
    [InlineData(2, 1.0, 2000)]
    [InlineData(4, 1.0, 8000)]
    [InlineData(4, 0.5, 4500)]
    [InlineData(30, 1.0, 300_000)]
    [InlineData(1000, 1.0, 300_000)]
    public void Delay_Failures_ExponentialCappedWithJitter(int failures, double jitter, double expectedMs) =>
        Assert.Equal(expectedMs, SiemBackoff.Delay(failures, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), jitter).TotalMilliseconds, 3);

    [Fact]
    public void Matches_Filters_EntriesByAllListsAndCheckpointsAlways()
    {
        var filter = new SiemFilter(new SiemTarget { Name = "t", Endpoint = "x", CreatedBy = "t", Products = "admin", Outcomes = "failure denied" });
        Assert.True(filter.Matches(new SiemRecord(new AuditEntry { Product = "admin", Outcome = "denied" }, null)));
        Assert.False(filter.Matches(new SiemRecord(new AuditEntry { Product = "admin", Outcome = "success" }, null)));
        Assert.False(filter.Matches(new SiemRecord(new AuditEntry { Product = "ravenscan", Outcome = "failure" }, null)));
        Assert.True(filter.Matches(new SiemRecord(null, new AuditCheckpoint { Sequence = 1 })));
    }

    [Fact]
    public void Redact_SecretsUrlsAndTokens_AreRemoved()
    {
        var secret = "s3cr3t-webhook-value";
        var e = new SiemDeliveryException($"POST https://user:pw@siem.example:8088/services/collector?token=abc failed: Splunk 0123456789abcdef0123456789abcdef, echo {secret}");
        var text = SiemErrorRedactor.Redact(e, Target(secret));
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=abc", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", text, StringComparison.Ordinal);
        Assert.Contains("https://siem.example:8088", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_OtherExceptions_OnlyTheirKind() =>
        Assert.Equal("Unexpected error (InvalidOperationException).", SiemErrorRedactor.Redact(new InvalidOperationException("key=abc"), Target()));

    [Theory]
    [InlineData("siem.example:514", "siem.example", 514)]
    [InlineData("127.0.0.1:6514", "127.0.0.1", 6514)]
    [InlineData("[::1]:6514", "::1", 6514)]
    public void TryParse_ValidEndpoint_HostAndPort(string text, string host, int port)
    {
        Assert.True(SyslogEndpoint.TryParse(text, out var endpoint));
        Assert.Equal(new SyslogEndpoint(host, port), endpoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("siem.example")]
    [InlineData("siem.example:0")]
    [InlineData("siem.example:65536")]
    [InlineData("siem.example:-1")]
    [InlineData(":514")]
    [InlineData("::1:514")]
    [InlineData("bad host:514")]
    public void TryParse_MalformedEndpoint_Refused(string text) => Assert.False(SyslogEndpoint.TryParse(text, out _));
}
