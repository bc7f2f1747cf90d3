using System.Text.Json;

using CodeRaft.LicenseIssuer;

namespace CodeRaft.Admin.Tests.Tools.LicenseIssuer;

public sealed class LicensePayloadTests
{
    private static readonly string[] _contractFields =
        ["v", "licenseId", "organizationId", "organizationName", "product", "plan", "features", "maxUsers", "issuedAt", "expiresAt"];

    [Fact]
    public void SerializePayload_Sample_HasExactlyTheContractFieldsInOrder()
    {
        using var document = JsonDocument.Parse(LicenseKeyWriter.SerializePayload(LicenseKeyWriterTests.SamplePayload()));

        Assert.Equal(_contractFields, document.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void SerializePayload_Sample_IsCompactWithContractValues()
    {
        var json = System.Text.Encoding.UTF8.GetString(LicenseKeyWriter.SerializePayload(LicenseKeyWriterTests.SamplePayload()));

        Assert.Equal(
            """{"v":1,"licenseId":"3f2b8c1e-7d4a-4e52-9a0b-6c1d2e3f4a5b","organizationId":"org-7f3a9c21","organizationName":"Contoso Security Operations","product":"entraguard","plan":"enterprise","features":["sso","siem-forwarding"],"maxUsers":250,"issuedAt":"2026-11-29T15:00:00Z","expiresAt":"2027-11-29T15:00:00Z"}""",
            json);
    }

    [Fact]
    public void SerializePayload_NonUtcOffsetAndNonAsciiName_WritesUtcZAndUtf8()
    {
        var payload = LicenseKeyWriterTests.SamplePayload() with
        {
            OrganizationName = "Müller & Söhne",
            IssuedAt = new DateTimeOffset(2026, 11, 29, 17, 0, 0, TimeSpan.FromHours(2)),
        };

        var json = System.Text.Encoding.UTF8.GetString(LicenseKeyWriter.SerializePayload(payload));

        Assert.Contains("\"issuedAt\":\"2026-11-29T15:00:00Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"organizationName\":\"Müller & Söhne\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_SerializedPayload_RoundTrips()
    {
        var payload = LicenseKeyWriterTests.SamplePayload() with { ExpiresAt = new DateTimeOffset(2027, 1, 2, 3, 4, 5, 678, TimeSpan.Zero) };

        var read = JsonSerializer.Deserialize<LicensePayload>(LicenseKeyWriter.SerializePayload(payload))!;

        Assert.Equal(payload with { Features = read.Features }, read);
        Assert.Equal(payload.Features, read.Features);
        Assert.Equal(TimeSpan.Zero, read.IssuedAt.Offset);
    }

    [Theory]
    [InlineData("2026-11-29T15:00:00+00:00")]
    [InlineData("2026-11-29T15:00:00")]
    [InlineData("2026-11-29 15:00:00Z")]
    [InlineData("1764428400")]
    public void Deserialize_TimestampWithoutZ_Throws(string timestamp)
    {
        var json = System.Text.Encoding.UTF8.GetString(LicenseKeyWriter.SerializePayload(LicenseKeyWriterTests.SamplePayload()))
            .Replace("2026-11-29T15:00:00Z", timestamp, StringComparison.Ordinal);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LicensePayload>(json));
    }
}
