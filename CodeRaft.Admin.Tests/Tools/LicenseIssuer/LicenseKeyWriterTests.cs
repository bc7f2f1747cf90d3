using System.Security.Cryptography;
using System.Text;

using CodeRaft.LicenseIssuer;

namespace CodeRaft.Admin.Tests.Tools.LicenseIssuer;

/// <summary>
/// The key format of CONTRACTS §7, checked independently of the tool's own code: segments are decoded with
/// <see cref="Convert.FromBase64String"/> and the signature verified against the exported public PEM.
/// </summary>
public sealed class LicenseKeyWriterTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public void Dispose() => _key.Dispose();

    internal static LicensePayload SamplePayload() => new(
        1,
        Guid.Parse("3f2b8c1e-7d4a-4e52-9a0b-6c1d2e3f4a5b"),
        "org-7f3a9c21",
        "Contoso Security Operations",
        "entraguard",
        "enterprise",
        ["sso", "siem-forwarding"],
        250,
        new DateTimeOffset(2026, 11, 29, 15, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2027, 11, 29, 15, 0, 0, TimeSpan.Zero));

    /// <summary>Plain base64url decoding written out here, so the tool's decoder is not checked against itself.</summary>
    internal static byte[] DecodeIndependently(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }

    [Fact]
    public void Issue_ValidPayload_HasThreeSegmentsPrefixAndNoPadding()
    {
        var license = LicenseKeyWriter.Issue(_key, SamplePayload());

        var segments = license.Split('.');
        Assert.Equal(3, segments.Length);
        Assert.Equal("CRL1", segments[0]);
        Assert.All(segments, s => Assert.Matches("^[A-Za-z0-9_-]+$", s));
        Assert.DoesNotContain('=', license);
        Assert.Equal(256, DecodeIndependently(segments[2]).Length);
    }

    [Fact]
    public void Issue_ValidPayload_SignatureVerifiesWithPublicPem()
    {
        var license = LicenseKeyWriter.Issue(_key, SamplePayload());
        using var publicKey = RSA.Create();
        publicKey.ImportFromPem(_key.ExportSubjectPublicKeyInfoPem());

        var lastDot = license.LastIndexOf('.');
        var signed = Encoding.ASCII.GetBytes(license[..lastDot]);
        var signature = DecodeIndependently(license[(lastDot + 1)..]);

        Assert.True(publicKey.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Issue_ChangedPayloadSegment_SignatureNoLongerVerifies()
    {
        var segments = LicenseKeyWriter.Issue(_key, SamplePayload()).Split('.');
        var other = LicenseKeyWriter.Issue(_key, SamplePayload() with { MaxUsers = 251 }).Split('.');
        using var publicKey = RSA.Create();
        publicKey.ImportFromPem(_key.ExportSubjectPublicKeyInfoPem());

        var spliced = Encoding.ASCII.GetBytes($"{segments[0]}.{other[1]}");

        Assert.False(publicKey.VerifyData(spliced, DecodeIndependently(segments[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Issue_ValidPayload_PayloadSegmentIsTheCompactSerialization()
    {
        var payload = SamplePayload();

        var segment = LicenseKeyWriter.Issue(_key, payload).Split('.')[1];

        Assert.Equal(LicenseKeyWriter.SerializePayload(payload), DecodeIndependently(segment));
    }

    [Theory]
    [InlineData("{ \"v\" : 1 }")]
    [InlineData("{\"v\":2,\"product\":\"unknown\"}")]
    public void SignRaw_GivenBytes_SignsExactlyThoseBytes(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        var segments = LicenseKeyWriter.SignRaw(_key, bytes).Split('.');

        Assert.Equal(bytes, DecodeIndependently(segments[1]));
        Assert.True(_key.VerifyData(Encoding.ASCII.GetBytes($"{segments[0]}.{segments[1]}"), DecodeIndependently(segments[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void SignRaw_NonUtf8AndMegabytePayload_SignsExactlyThoseBytes()
    {
        var bytes = new byte[1024 * 1024];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] = 0xFF; // never valid UTF-8

        var segments = LicenseKeyWriter.SignRaw(_key, bytes).Split('.');

        Assert.Equal(bytes, DecodeIndependently(segments[1]));
    }

    [Fact]
    public void SignRaw_OtherPrefix_PrefixIsFirstSegmentAndSigned()
    {
        var segments = LicenseKeyWriter.SignRaw(_key, "{}"u8, "CRL2").Split('.');

        Assert.Equal("CRL2", segments[0]);
        Assert.True(_key.VerifyData(Encoding.ASCII.GetBytes($"CRL2.{segments[1]}"), DecodeIndependently(segments[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Base64Url_EveryLengthModuloThree_MatchesBase64WithoutPaddingAndRoundTrips()
    {
        for (var length = 0; length <= 6; length++)
        {
            var bytes = Enumerable.Range(250, length).Select(i => (byte)i).ToArray(); // 0xFA.. hit '-' and '_'
            var expected = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

            var encoded = LicenseKeyWriter.Base64Url(bytes);

            Assert.Equal(expected, encoded);
            Assert.Equal(bytes, LicenseKeyWriter.FromBase64Url(encoded));
        }
    }

    [Theory]
    [InlineData("eyJ2IjoxfQ==")]
    [InlineData("eyJ2Ijox fQ")]
    [InlineData("eyJ2+joxfQ")]
    [InlineData("eyJ2Ijox/Q")]
    [InlineData("a")]
    public void FromBase64Url_PaddingWhitespaceOrBase64Characters_Throws(string text) =>
        Assert.Throws<FormatException>(() => LicenseKeyWriter.FromBase64Url(text));
}
