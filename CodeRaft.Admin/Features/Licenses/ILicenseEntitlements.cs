using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>The license states a product can be in, as <c>GET /api/v1/licenses</c> reports them (docs/api.md).</summary>
public static class LicenseStates
{
    /// <summary>No license is installed for the product.</summary>
    public const string Unlicensed = "unlicensed";

    public const string Valid = "valid";

    /// <summary>Valid, and expiring within 30 days.</summary>
    public const string Expiring = "expiring";

    /// <summary>Expired, but still within the 30-day grace period of CONTRACTS §7: everything keeps working, with a banner.</summary>
    public const string Grace = "grace";

    /// <summary>Expired beyond the grace period: new product grants are refused; nothing is switched off.</summary>
    public const string Expired = "expired";
}

/// <summary>What one product is entitled to. <see cref="Seats"/> is the license's <c>maxUsers</c> (0 when unlicensed).
/// <see cref="DevelopmentLicense"/>: signed by a key from <c>Licensing:TrustedPublicKeyFiles</c> (never in Production).</summary>
public sealed record LicenseEntitlement(
    Product Product,
    string State,
    string? Plan,
    IReadOnlyList<string> Features,
    int Seats,
    DateTimeOffset? ExpiresAt,
    string? LicenseId,
    bool DevelopmentLicense = false)
{
    public static LicenseEntitlement Unlicensed(Product product) => new(product, LicenseStates.Unlicensed, null, [], 0, null, null);
}

/// <summary>
/// The installed licenses' entitlements, one per product, for the API and the dashboard. Implemented by the licensing
/// feature (issue 9), which registers its own implementation; until then <see cref="NoLicensesInstalled"/> answers.
///
/// Contract for implementations: one entry for every product of <see cref="Products.All"/>, in that order; answer
/// from the license state only (the caller counts seats in use itself); never throw for a damaged or tampered license
/// — report that product as <see cref="LicenseStates.Unlicensed"/> (installing it was already refused and audited).
/// </summary>
public interface ILicenseEntitlements
{
    ValueTask<IReadOnlyList<LicenseEntitlement>> GetAllAsync(CancellationToken cancellationToken = default);

    /// <summary>True while the system clock is more than 24 hours behind the latest time the portal has seen (licenses
    /// are then judged at that latest time, never at the rolled-back one).</summary>
    ValueTask<bool> IsClockRolledBackAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(false);
}

/// <summary>The default until licensing exists: no license is installed for any product.</summary>
public sealed class NoLicensesInstalled : ILicenseEntitlements
{
    private static readonly IReadOnlyList<LicenseEntitlement> None = [.. Products.All.Select(LicenseEntitlement.Unlicensed)];

    public ValueTask<IReadOnlyList<LicenseEntitlement>> GetAllAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(None);
}
