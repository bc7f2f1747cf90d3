using Microsoft.AspNetCore.Authorization;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// The v1 API's authorization policies: one per scope, plus any valid key. They accept only the
/// <see cref="ApiKeyAuthenticationHandler.SchemeName"/> scheme, so a console session cannot call the API, and the
/// console's policies (which require the <c>mfa</c> claim) never accept an API key.
/// </summary>
public static class ApiPolicies
{
    public const string AnyKey = "api:key";
    public const string AuditWrite = "api:audit:write";
    public const string AuditRead = "api:audit:read";
    public const string LicensesRead = "api:licenses:read";
    public const string UsersRead = "api:users:read";

    public static IReadOnlyDictionary<string, string> ScopeOf { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [AuditWrite] = ApiKeyScopes.AuditWrite,
        [AuditRead] = ApiKeyScopes.AuditRead,
        [LicensesRead] = ApiKeyScopes.LicensesRead,
        [UsersRead] = ApiKeyScopes.UsersRead,
    };

    public static AuthorizationBuilder AddApiPolicies(this AuthorizationBuilder builder)
    {
        builder.AddPolicy(AnyKey, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().RequireClaim(ApiKeyClaims.KeyId));
        foreach (var (policy, scope) in ScopeOf)
        {
            builder.AddPolicy(policy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireClaim(ApiKeyClaims.KeyId).RequireClaim(ApiKeyClaims.Scope, scope));
        }

        return builder;
    }
}
