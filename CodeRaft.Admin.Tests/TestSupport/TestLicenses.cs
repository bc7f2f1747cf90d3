using System.Security.Cryptography;
using CodeRaft.LicenseIssuer;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>
/// A vendor for tests: an RSA-2048 key pair made at run time (never committed), licenses signed with the issuer tool's
/// <see cref="LicenseKeyWriter"/>, and the configuration that makes a non-Production portal trust the public key
/// (<c>Licensing:TrustedPublicKeyFiles</c>). One key per test process; <see cref="Other"/> is a second, untrusted one.
/// </summary>
public sealed class TestLicenses
{
    public const string Organization = "org-test";
    public const string OrganizationName = "Test Org";

    private static readonly Lazy<TestLicenses> Shared = new(() => new TestLicenses());
    private static readonly Lazy<TestLicenses> Another = new(() => new TestLicenses());

    private TestLicenses()
    {
        Key = RSA.Create(2048);
        PublicKeyFile = Path.Combine(Path.GetTempPath(), $"coderaft-test-license-{Guid.NewGuid():N}.pem");
        File.WriteAllText(PublicKeyFile, Key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The vendor key the test portals trust.</summary>
    public static TestLicenses Vendor => Shared.Value;

    /// <summary>A key nobody trusts (unless a test configures its file).</summary>
    public static TestLicenses Other => Another.Value;

    public RSA Key { get; }

    public string PublicKeyFile { get; }

    /// <summary>Configuration for a portal (environment not Production) that trusts this key.</summary>
    public IReadOnlyDictionary<string, string?> Configuration => new Dictionary<string, string?> { ["Licensing:TrustedPublicKeyFiles:0"] = PublicKeyFile };

    public static LicensePayload Payload(string product = "entraguard", int maxUsers = 10, string plan = "enterprise", DateTimeOffset? issuedAt = null,
        DateTimeOffset? expiresAt = null, string organization = Organization, IReadOnlyList<string>? features = null)
    {
        var issued = issuedAt ?? DateTimeOffset.UtcNow.AddDays(-1);
        return new LicensePayload(1, Guid.NewGuid(), organization, OrganizationName, product, plan, features ?? ["conditional-access", "privileged-identity"],
            maxUsers, Seconds(issued), Seconds(expiresAt ?? issued.AddDays(365)));
    }

    public string Issue(LicensePayload payload) => LicenseKeyWriter.Issue(Key, payload);

    public string Issue(string product = "entraguard", int maxUsers = 10, string plan = "enterprise", DateTimeOffset? issuedAt = null,
        DateTimeOffset? expiresAt = null, string organization = Organization, IReadOnlyList<string>? features = null) =>
        Issue(Payload(product, maxUsers, plan, issuedAt, expiresAt, organization, features));

    private static DateTimeOffset Seconds(DateTimeOffset time) => new(time.UtcDateTime.Ticks - (time.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
