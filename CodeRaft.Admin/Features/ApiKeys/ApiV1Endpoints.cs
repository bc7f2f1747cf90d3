using System.Security.Claims;
using CodeRaft.Admin.Features.ApiKeys.Api;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// The v1 API (CONTRACTS §6; docs/api.md; ADR-009). Every endpoint needs a key with its scope (ApiKey scheme only);
/// every error is an RFC 9457 problem. The audit endpoints are in Api/ApiAuditEndpoints.cs.
/// </summary>
public static class ApiV1Endpoints
{
    /// <summary>The body limit of every v1 endpoint but ingest (they take no body).</summary>
    public const long DefaultMaxBodyBytes = 64 * 1024;

    public static IServiceCollection AddApiV1(this IServiceCollection services)
    {
        // The licensing feature (issue 9) registers its own entitlements; until then no product is licensed.
        services.TryAddSingleton<ILicenseEntitlements, NoLicensesInstalled>();
        services.AddApiOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapApiV1(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").DisableAntiforgery().AddApiRateLimits()
            .WithMetadata(new RequestBodyLimit(DefaultMaxBodyBytes))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        // Which key is this? For a client checking its configuration.
        api.MapGet("/whoami", (ClaimsPrincipal user) => TypedResults.Ok(new WhoAmI(
                user.FindFirstValue(ApiKeyClaims.Identifier) ?? "",
                [.. user.FindAll(ApiKeyClaims.Scope).Select(c => c.Value)])))
            .RequireAuthorization(ApiPolicies.AnyKey)
            .WithName("WhoAmI").WithSummary("The calling key's identifier and scopes.").WithTags("Keys");

        api.MapGet("/users", async (IDbContextFactory<AdminDbContext> contexts, CancellationToken cancellationToken) =>
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var users = await db.Users.AsNoTracking()
                    .OrderBy(u => u.NormalizedEmail).ThenBy(u => u.Id)
                    .Select(u => new { u.Id, u.Email, u.UserName, u.DisplayName, u.Role, u.Status })
                    .ToListAsync(cancellationToken);
                return TypedResults.Ok(users.Select(u => new ApiUser(u.Id, u.Email ?? u.UserName ?? "", u.DisplayName, u.Role.ToString(), u.Status.ToString())).ToList());
            })
            .RequireAuthorization(ApiPolicies.UsersRead)
            .WithName("ListUsers").WithSummary("The portal's users, by e-mail; no secrets, no MFA state.").WithTags("Users");

        api.MapApiAudit();
        api.MapApiLicenses();

        // An API client asking for an address that does not exist gets a problem, not the console's sign-in redirect;
        // one using the wrong method on an existing endpoint gets 405 with Allow.
        app.MapFallback("/api/{**path}", ApiFallback.Answer).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    public sealed record WhoAmI(string Identifier, IReadOnlyList<string> Scopes);

    /// <summary>What the API tells about a user: no secrets, no MFA state.</summary>
    public sealed record ApiUser(Guid Id, string Email, string DisplayName, string Role, string Status);
}
