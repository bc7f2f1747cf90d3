using Microsoft.AspNetCore.Authentication;

namespace CodeRaft.Admin.Features.ApiKeys;

public static class ApiKeysFeature
{
    /// <summary>What the server and the CLI share.</summary>
    public static IServiceCollection AddApiKeysCore(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyInputValidator>();
        services.AddSingleton<ApiKeyManagementCore>();
        return services;
    }

    /// <summary>
    /// The server's side: the <c>ApiKey</c> scheme and the <c>api:*</c> policies. Call after AddAdminAuthentication:
    /// the scheme is added without becoming the default, so the console's cookie scheme stays the default.
    /// Also the console's <see cref="ApiKeyService"/>, one per circuit (it holds the circuit's step-up).
    /// </summary>
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services)
    {
        services.AddScoped<ApiKeyService>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });
        services.AddSingleton<ApiKeyLookupCache>();
        services.AddAuthorizationBuilder().AddApiPolicies();
        return services;
    }
}
