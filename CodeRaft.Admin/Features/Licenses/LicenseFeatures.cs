using CodeRaft.Admin.Features.Users;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>
/// The product features the portal knows and which plan they need (ADR-013). A license grants the features it lists,
/// except that an enterprise-only feature listed in a standard-plan license is NOT granted (gated): the preview shows
/// it as "needs the enterprise plan" and the API does not report it. Feature names the portal does not know are passed
/// through unchanged, so a product can ship a feature before the portal learns its name.
///
/// None of the portal's own security functions (audit, MFA, step-up, SIEM forwarding, allowlists, API keys) is a
/// licensed feature: no license state, plan or expiry can switch them off.
/// </summary>
public static class LicenseFeatures
{
    private static readonly Dictionary<(Product, string), LicensePlan> Known = new()
    {
        [(Product.EntraGuard, "conditional-access")] = LicensePlan.Standard,
        [(Product.EntraGuard, "identity-protection")] = LicensePlan.Standard,
        [(Product.EntraGuard, "privileged-identity")] = LicensePlan.Enterprise,
        [(Product.EntraGuard, "access-reviews")] = LicensePlan.Enterprise,
        [(Product.Ravenscan, "network-scan")] = LicensePlan.Standard,
        [(Product.Ravenscan, "web-scan")] = LicensePlan.Standard,
        [(Product.Ravenscan, "agent-scan")] = LicensePlan.Enterprise,
        [(Product.Ravenscan, "compliance-reports")] = LicensePlan.Enterprise,
        [(Product.RedFoxBastion, "session-proxy")] = LicensePlan.Standard,
        [(Product.RedFoxBastion, "session-recording")] = LicensePlan.Enterprise,
        [(Product.RedFoxBastion, "just-in-time-access")] = LicensePlan.Enterprise,
    };

    public static bool IsEnterpriseOnly(Product product, string feature) =>
        Known.TryGetValue((product, feature), out var plan) && plan == LicensePlan.Enterprise;

    /// <summary>The features the license actually grants (its list minus gated enterprise-only features), in its order.</summary>
    public static IReadOnlyList<string> Granted(License license)
    {
        ArgumentNullException.ThrowIfNull(license);
        return license.Plan == LicensePlan.Enterprise ? license.Features : [.. license.Features.Where(f => !IsEnterpriseOnly(license.Product, f))];
    }

    /// <summary>Listed in the license but not granted: enterprise-only features of a standard-plan license.</summary>
    public static IReadOnlyList<string> Gated(License license)
    {
        ArgumentNullException.ThrowIfNull(license);
        return license.Plan == LicensePlan.Enterprise ? [] : [.. license.Features.Where(f => IsEnterpriseOnly(license.Product, f))];
    }
}
