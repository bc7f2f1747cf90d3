using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Features.Licenses;

public enum LicensePlan
{
    Standard,
    Enterprise,
}

/// <summary>
/// A license whose signature verified against a trusted key and whose payload is a well-formed v1 payload
/// (CONTRACTS §7). Whether it is valid NOW (dates, organization) is decided by <see cref="LicenseVerifier.Check"/>.
/// </summary>
/// <param name="Key">The key string exactly as verified (stored, and verified again whenever it is loaded).</param>
/// <param name="KeyFingerprint">Which trusted public key signed it (<see cref="TrustedLicenseKey.Fingerprint"/>).</param>
/// <param name="SignedByConfiguredKey">Signed by a key from <c>Licensing:TrustedPublicKeyFiles</c> (possible only outside
/// Production), not by one embedded in the binary: a development license, shown as such in the console and the API.</param>
public sealed record License(
    Guid LicenseId,
    string OrganizationId,
    string OrganizationName,
    Product Product,
    LicensePlan Plan,
    IReadOnlyList<string> Features,
    int MaxUsers,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string Key,
    string KeyFingerprint,
    bool SignedByConfiguredKey = false)
{
    /// <summary>Expired licenses keep working this long (CONTRACTS §7 "grace period"), then new grants are refused.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromDays(30);

    /// <summary>A license this close to its expiry is shown as expiring (banner, state "expiring").</summary>
    public static readonly TimeSpan ExpiringWindow = TimeSpan.FromDays(30);

    /// <summary>Saturates instead of overflowing: a "perpetual" license expiring 9999-12-31 is a real vendor practice.</summary>
    public DateTimeOffset GraceEndsAt => ExpiresAt > DateTimeOffset.MaxValue - GracePeriod ? DateTimeOffset.MaxValue : ExpiresAt + GracePeriod;

    public string PlanText => Plan == LicensePlan.Enterprise ? "enterprise" : "standard";

    /// <summary>The state at <paramref name="now"/> (the licensing clock's time, never a rolled-back one).</summary>
    public string StateAt(DateTimeOffset now) =>
        now >= GraceEndsAt ? LicenseStates.Expired
        : now >= ExpiresAt ? LicenseStates.Grace
        : ExpiresAt - now <= ExpiringWindow ? LicenseStates.Expiring
        : LicenseStates.Valid;
}
