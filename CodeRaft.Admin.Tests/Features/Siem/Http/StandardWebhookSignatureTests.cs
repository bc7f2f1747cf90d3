using System.Text;
using CodeRaft.Admin.Features.Siem.Http;

namespace CodeRaft.Admin.Tests.Features.Siem.Http;

/// <summary>The published vector of /work/shared/testdata/VECTORS.md (Standard Webhooks v1), exactly.</summary>
public sealed class StandardWebhookSignatureTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;
    private const string Body = "{\"test\": 2432232314}";
    private const string Expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static byte[] Key()
    {
        Assert.True(StandardWebhookSignature.TryParseSecret(Secret, out var key, out _));
        return key;
    }

    [Fact]
    public void Sign_PublishedVector_MatchesExactly()
    {
        Assert.Equal(Expected, StandardWebhookSignature.Sign(Id, Timestamp, Body, Secret));
        Assert.Equal(Expected, StandardWebhookSignature.Sign(Id, Timestamp, Encoding.UTF8.GetBytes(Body), Key()));
    }

    [Fact]
    public void Verify_PublishedVector_IsValid()
    {
        Assert.True(StandardWebhookSignature.Verify(Expected, Id, "1614265330", Encoding.UTF8.GetBytes(Body), Key()));
        Assert.True(StandardWebhookSignature.Verify(Expected, Id, "1614265330", Encoding.UTF8.GetBytes(Body), Key(),
            DateTimeOffset.FromUnixTimeSeconds(Timestamp + 60)));
    }

    [Fact]
    public void Verify_OneOfSeveralSignaturesValid_IsValid() =>
        Assert.True(StandardWebhookSignature.Verify("v1,AAAA v2,whatever " + Expected, Id, "1614265330", Encoding.UTF8.GetBytes(Body), Key()));

    [Theory]
    [InlineData(Id, "1614265330", "{\"test\": 2432232315}")]
    [InlineData("msg_other", "1614265330", Body)]
    [InlineData(Id, "1614265331", Body)]
    [InlineData(Id, "not-a-number", Body)]
    public void Verify_AnythingChanged_IsInvalid(string id, string timestamp, string body) =>
        Assert.False(StandardWebhookSignature.Verify(Expected, id, timestamp, Encoding.UTF8.GetBytes(body), Key()));

    [Fact]
    public void Verify_WrongSecret_IsInvalid()
    {
        Assert.True(StandardWebhookSignature.TryParseSecret(StandardWebhookSignature.GenerateSecret(), out var other, out _));
        Assert.False(StandardWebhookSignature.Verify(Expected, Id, "1614265330", Encoding.UTF8.GetBytes(Body), other));
    }

    [Fact]
    public void Verify_TimestampOutsideTolerance_IsInvalid() =>
        Assert.False(StandardWebhookSignature.Verify(Expected, Id, "1614265330", Encoding.UTF8.GetBytes(Body), Key(),
            DateTimeOffset.FromUnixTimeSeconds(Timestamp + 301)));

    [Fact]
    public void TryParseSecret_BareBase64_AcceptedAsTheSameKey()
    {
        Assert.True(StandardWebhookSignature.TryParseSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key, out _));
        Assert.Equal(Key(), key);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_c2hvcnQ=")]
    public void TryParseSecret_Malformed_RefusedWithMessage(string? secret)
    {
        Assert.False(StandardWebhookSignature.TryParseSecret(secret, out _, out var error));
        Assert.StartsWith("The signing secret", error);
    }

    [Fact]
    public void GenerateSecret_IsParsableWhsec() =>
        Assert.True(StandardWebhookSignature.TryParseSecret(StandardWebhookSignature.GenerateSecret(), out var key, out _) && key.Length == 32);
}
