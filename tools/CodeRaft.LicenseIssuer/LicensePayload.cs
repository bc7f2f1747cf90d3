using System.Text.Json.Serialization;

namespace CodeRaft.LicenseIssuer;

/// <summary>
/// The payload of a license key, format v1 (CONTRACTS §7). The parameter order is the contract's field order, which
/// System.Text.Json keeps when serializing, so <see cref="LicenseKeyWriter.Issue"/> writes the fields in that order.
/// </summary>
/// <param name="V">Format version; the portal knows 1 only.</param>
/// <param name="LicenseId">Unique per issued license (written as a lowercase UUID).</param>
/// <param name="OrganizationId">The customer's organization; every license a portal installs must carry the same one.</param>
/// <param name="OrganizationName">The customer's name, for display.</param>
/// <param name="Product"><c>entraguard</c>, <c>ravenscan</c> or <c>redfox-bastion</c>.</param>
/// <param name="Plan"><c>standard</c> or <c>enterprise</c>.</param>
/// <param name="Features">The entitled feature names.</param>
/// <param name="MaxUsers">Seats: users who may be granted the product.</param>
/// <param name="IssuedAt">Written as RFC 3339 UTC with 'Z' (whole seconds unless it has a sub-second part).</param>
/// <param name="ExpiresAt">Written as RFC 3339 UTC with 'Z' (whole seconds unless it has a sub-second part).</param>
public sealed record LicensePayload(
    [property: JsonPropertyName("v")] int V,
    [property: JsonPropertyName("licenseId")] Guid LicenseId,
    [property: JsonPropertyName("organizationId")] string OrganizationId,
    [property: JsonPropertyName("organizationName")] string OrganizationName,
    [property: JsonPropertyName("product")] string Product,
    [property: JsonPropertyName("plan")] string Plan,
    [property: JsonPropertyName("features")] IReadOnlyList<string> Features,
    [property: JsonPropertyName("maxUsers")] int MaxUsers,
    [property: JsonPropertyName("issuedAt"), JsonConverter(typeof(Rfc3339UtcConverter))] DateTimeOffset IssuedAt,
    [property: JsonPropertyName("expiresAt"), JsonConverter(typeof(Rfc3339UtcConverter))] DateTimeOffset ExpiresAt)
{
    /// <summary>The only format version this tool issues.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The products a v1 license may name (CONTRACTS §7).</summary>
    public static IReadOnlyList<string> KnownProducts { get; } = ["entraguard", "ravenscan", "redfox-bastion"];

    /// <summary>The plans a v1 license may name (CONTRACTS §7).</summary>
    public static IReadOnlyList<string> KnownPlans { get; } = ["standard", "enterprise"];
}
