using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using CodeRaft.LicenseIssuer;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>
/// The forgery matrix of issue 9: each forged or unusable key is refused with its own reason, nothing is installed,
/// and the refusal is audited as <c>license.rejected</c> with the reason code and the license id when it can be read.
/// Every case runs through the real install path of a real store.
/// </summary>
public sealed class LicenseForgeryTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-license-forgery");
    private LicensesWorld _world = null!;

    public static TheoryData<string, LicenseRejectionReason, bool> Cases => new()
    {
        { "flipped payload bit", LicenseRejectionReason.BadSignature, true },
        { "flipped signature bit", LicenseRejectionReason.BadSignature, true },
        { "truncated signature", LicenseRejectionReason.Malformed, true },
        { "truncated after the payload", LicenseRejectionReason.Malformed, false },
        { "same JSON re-encoded with other whitespace", LicenseRejectionReason.BadSignature, true },
        { "signed by another key", LicenseRejectionReason.BadSignature, true },
        { "wrong version prefix", LicenseRejectionReason.UnknownVersion, false },
        { "not a license prefix", LicenseRejectionReason.Malformed, false },
        { "unknown payload version", LicenseRejectionReason.UnknownVersion, true },
        { "unknown product", LicenseRejectionReason.UnknownProduct, true },
        { "another organization", LicenseRejectionReason.OtherOrganization, true },
        { "issued in the future", LicenseRejectionReason.NotYetValid, true },
        { "expired past grace", LicenseRejectionReason.Expired, true },
        { "1 MB payload", LicenseRejectionReason.Malformed, false },
        { "non-UTF-8 payload", LicenseRejectionReason.Malformed, false },
        { "padded base64", LicenseRejectionReason.Malformed, true },
        { "empty", LicenseRejectionReason.Malformed, false },
        { "unsigned, lone surrogate in licenseId", LicenseRejectionReason.BadSignature, false },
        { "signed, lone surrogate in a field", LicenseRejectionReason.Malformed, true },
        { "nil licenseId", LicenseRejectionReason.Malformed, false },
    };

    public async Task InitializeAsync() => _world = await LicensesWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task InstallAsync_ForgedOrUnusableKey_RefusedWithItsReasonAuditedAndNothingInstalled(string forgery, LicenseRejectionReason expected, bool idReadable)
    {
        var payload = TestLicenses.Payload(product: "ravenscan", issuedAt: LicensesWorld.Start.AddDays(-1));
        var key = await ForgeAsync(forgery, payload);
        var installedBefore = await _world.RowsAsync();

        var result = await _world.Core.InstallAsync(UserOperator.HostCli, key);

        Assert.Equal(LicenseOutcome.Rejected, result.Outcome);
        Assert.Equal(expected, result.Rejection!.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
        Assert.Equal(installedBefore.Count, (await _world.RowsAsync()).Count);
        Assert.Null(await _world.Catalog.GetSeatsAsync(Product.Ravenscan));

        var rejected = Assert.Single(await _world.LicenseAuditAsync(), e => e.Action == "license.rejected");
        Assert.Equal("failure", rejected.Outcome);
        Assert.Equal("cli", rejected.ActorType);
        var details = LicensesWorld.Details(rejected);
        Assert.Equal(result.Rejection.Code, (string?)details["reason"]);
        Assert.Equal(result.Message, (string?)details["message"]);
        Assert.Equal(idReadable ? payload.LicenseId.ToString() : null, (string?)details["licenseId"]);
        Assert.DoesNotContain(key.Length > 40 ? key[^40..] : "\u0001", rejected.Details, StringComparison.Ordinal); // the key itself is never audited
    }

    [Fact]
    public async Task InstallAsync_UntouchedKey_InstalledWhereEveryForgeryIsRefused()
    {
        // The matrix's control: the same payload, signed and unaltered, is accepted by the same path.
        var result = await _world.Core.InstallAsync(UserOperator.HostCli, TestLicenses.Vendor.Issue(TestLicenses.Payload(product: "ravenscan", issuedAt: LicensesWorld.Start.AddDays(-1))));

        Assert.Equal(LicenseOutcome.Succeeded, result.Outcome);
        Assert.Equal(10, await _world.Catalog.GetSeatsAsync(Product.Ravenscan));
    }

    private async Task<string> ForgeAsync(string forgery, LicensePayload payload)
    {
        var vendor = TestLicenses.Vendor;
        var key = vendor.Issue(payload);
        var parts = key.Split('.');
        switch (forgery)
        {
            case "flipped payload bit":
                var bytes = LicenseKeyWriter.FromBase64Url(parts[1]);
                bytes[^3] ^= 0x01; // inside the expiresAt digits: the JSON stays valid, only the signature can tell
                return $"{parts[0]}.{LicenseKeyWriter.Base64Url(bytes)}.{parts[2]}";
            case "flipped signature bit":
                var signature = LicenseKeyWriter.FromBase64Url(parts[2]);
                signature[100] ^= 0x10;
                return $"{parts[0]}.{parts[1]}.{LicenseKeyWriter.Base64Url(signature)}";
            case "truncated signature":
                return key[..^20];
            case "truncated after the payload":
                return $"{parts[0]}.{parts[1]}";
            case "same JSON re-encoded with other whitespace":
                var spaced = Encoding.UTF8.GetString(LicenseKeyWriter.SerializePayload(payload)).Replace(",\"", ", \"", StringComparison.Ordinal);
                return $"{parts[0]}.{LicenseKeyWriter.Base64Url(Encoding.UTF8.GetBytes(spaced))}.{parts[2]}";
            case "signed by another key":
                return TestLicenses.Other.Issue(payload);
            case "wrong version prefix":
                return $"CRL2.{parts[1]}.{parts[2]}";
            case "not a license prefix":
                return $"crl1.{parts[1]}.{parts[2]}";
            case "unknown payload version":
                return vendor.Issue(payload with { V = 2 });
            case "unknown product":
                return vendor.Issue(payload with { Product = "blackhawk" });
            case "another organization":
                await _world.InstallAsync(vendor.Issue(TestLicenses.Payload(product: "entraguard", issuedAt: LicensesWorld.Start.AddDays(-1))));
                return vendor.Issue(payload with { OrganizationId = "org-someone-else" });
            case "issued in the future":
                return vendor.Issue(payload with { IssuedAt = LicensesWorld.Start.AddHours(2), ExpiresAt = LicensesWorld.Start.AddDays(30) });
            case "expired past grace":
                return vendor.Issue(payload with { IssuedAt = LicensesWorld.Start.AddDays(-400), ExpiresAt = LicensesWorld.Start.AddDays(-31) });
            case "1 MB payload":
                return vendor.Issue(payload with { OrganizationName = new string('x', 1024 * 1024) });
            case "non-UTF-8 payload":
                var json = LicenseKeyWriter.SerializePayload(payload);
                return LicenseKeyWriter.SignRaw(vendor.Key, [.. json[..^2], 0xC3, 0x28, .. json[^2..]]);
            case "padded base64":
                return key + "==";
            case "empty":
                return "   \n";
            case "unsigned, lone surrogate in licenseId":
                // Crafted without any key: reading the claimed id for the audit entry must not crash the check.
                return $"CRL1.{LicenseKeyWriter.Base64Url(Encoding.UTF8.GetBytes("{\"licenseId\":\"\\ud800\"}"))}.{LicenseKeyWriter.Base64Url(new byte[256])}";
            case "signed, lone surrogate in a field":
                var text = Encoding.UTF8.GetString(LicenseKeyWriter.SerializePayload(payload)).Replace("\"Test Org\"", "\"\\ud800\"", StringComparison.Ordinal);
                return LicenseKeyWriter.SignRaw(vendor.Key, Encoding.UTF8.GetBytes(text));
            case "nil licenseId":
                return vendor.Issue(payload with { LicenseId = Guid.Empty });
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery), forgery, "no such case");
        }
    }
}
