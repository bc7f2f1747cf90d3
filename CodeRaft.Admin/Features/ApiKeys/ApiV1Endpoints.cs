using System.Security.Claims;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// The first endpoints of the v1 API (CONTRACTS §6; docs/api.md): enough to use a key end to end. The rest of the
/// v1 API (audit ingest and read, checkpoints, licenses, OpenAPI, rate limits) comes in later slices of issue 6.
/// </summary>
public static class ApiV1Endpoints
{
    public static IEndpointRouteBuilder MapApiV1(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").DisableAntiforgery().AddApiRateLimits();

        // Which key is this? For a client checking its configuration.
        api.MapGet("/whoami", (ClaimsPrincipal user) => TypedResults.Ok(new WhoAmI(
                user.FindFirstValue(ApiKeyClaims.Identifier) ?? "",
                [.. user.FindAll(ApiKeyClaims.Scope).Select(c => c.Value)])))
            .RequireAuthorization(ApiPolicies.AnyKey);

        api.MapGet("/users", async (IDbContextFactory<AdminDbContext> contexts, CancellationToken cancellationToken) =>
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var users = await db.Users.AsNoTracking()
                    .OrderBy(u => u.NormalizedEmail).ThenBy(u => u.Id)
                    .Select(u => new { u.Id, u.Email, u.UserName, u.DisplayName, u.Role, u.Status })
                    .ToListAsync(cancellationToken);
                return TypedResults.Ok(users.Select(u => new ApiUser(u.Id, u.Email ?? u.UserName ?? "", u.DisplayName, u.Role.ToString(), u.Status.ToString())).ToList());
            })
            .RequireAuthorization(ApiPolicies.UsersRead);

        // An API client asking for an address that does not exist gets a problem, not the console's sign-in redirect.
        app.MapFallback("/api/{**path}", () => TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Not Found",
                detail: "There is no API endpoint at this address.",
                type: "https://tools.ietf.org/html/rfc9110#section-15.5.5"))
            .AllowAnonymous();
        return app;
    }

    public sealed record WhoAmI(string Identifier, IReadOnlyList<string> Scopes);

    /// <summary>What the API tells about a user: no secrets, no MFA state.</summary>
    public sealed record ApiUser(Guid Id, string Email, string DisplayName, string Role, string Status);
}
