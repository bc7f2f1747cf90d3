using System.Text;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>The verifier on its own: file rules, caching, display. The refusals themselves: <see cref="LicenseForgeryTests"/>.</summary>
public sealed class LicenseVerifierTests
{
    private readonly LicenseVerifier _verifier = new(new TrustedLicenseKeys([TrustedLicenseKeys.FromPem(TestLicenses.Vendor.Key.ExportSubjectPublicKeyInfoPem(), "test", trusted: true)]));

    [Fact]
    public void Decode_FileWithByteOrderMarkAndNewline_AcceptedAsTheKey()
    {
        var key = TestLicenses.Vendor.Issue();

        var decoding = _verifier.Decode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(key + "\r\n")]);

        Assert.Null(decoding.Rejection);
        Assert.Equal(key, decoding.License!.Key);
    }

    [Fact]
    public void Decode_SameKeyTwice_SecondAnswerComesFromTheCache()
    {
        var key = TestLicenses.Vendor.Issue();

        var first = _verifier.Decode(key);
        var second = _verifier.Decode("  " + key + "\n");

        Assert.NotNull(first.License);
        Assert.Same(first, second);
    }

    [Fact]
    public void Decode_RefusedKey_NotCached()
    {
        var key = TestLicenses.Other.Issue();

        Assert.NotSame(_verifier.Decode(key), _verifier.Decode(key));
    }

    [Fact]
    public void ReadPayloadForDisplay_ForgedKey_ShowsWhatItClaimsWithoutVerifying()
    {
        var payload = TestLicenses.Payload(organization: "org-display");

        var shown = LicenseVerifier.ReadPayloadForDisplay(TestLicenses.Other.Issue(payload));

        Assert.Contains("\"organizationId\": \"org-display\"", shown, StringComparison.Ordinal);
        Assert.Null(LicenseVerifier.ReadPayloadForDisplay("CRL1.%%%.x"));
    }
}
