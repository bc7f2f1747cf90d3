using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// <c>GET /api/v1/licenses</c>: every product with its real license state, from <see cref="ILicenseEntitlements"/>
/// (the licensing feature's), and the seats in use counted here from the grants. Without a license a product is
/// reported as it is: unlicensed, no features, 0 seats.
/// </summary>
public static class ApiLicensesEndpoints
{
    public static RouteGroupBuilder MapApiLicenses(this RouteGroupBuilder api)
    {
        api.MapGet("/licenses", ListAsync)
            .RequireAuthorization(ApiPolicies.LicensesRead)
            .WithName("ListLicenses").WithTags("Licenses")
            .WithSummary("Entitlements per product: state, plan, features, seats (total and used), expiry.");
        return api;
    }

    internal static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<ApiLicenses>> ListAsync(
        ILicenseEntitlements entitlements, IDbContextFactory<AdminDbContext> contexts, CancellationToken cancellationToken)
    {
        var all = await entitlements.GetAllAsync(cancellationToken);
        Dictionary<Product, int> used;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            used = await db.ProductAccess.AsNoTracking().GroupBy(a => a.Product)
                .Select(g => new { Product = g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.Product, g => g.Count, cancellationToken);
        }

        return TypedResults.Ok(new ApiLicenses([.. all.Select(e => new ApiLicense(
            e.Product.Id(), e.State, e.Plan, e.Features, new ApiSeats(e.Seats, used.GetValueOrDefault(e.Product)), e.ExpiresAt, e.LicenseId, e.DevelopmentLicense))],
            await entitlements.IsClockRolledBackAsync(cancellationToken)));
    }
}

/// <param name="ClockRolledBack">The server's clock is more than 24 hours behind the latest time the portal has seen;
/// the states are judged at that latest time (a clock set back never extends a license).</param>
public sealed record ApiLicenses(IReadOnlyList<ApiLicense> Products, bool ClockRolledBack);

/// <param name="State">unlicensed, valid, expiring (within 30 days), grace (30 days after expiry) or expired.</param>
/// <param name="DevelopmentLicense">Signed by a key from Licensing:TrustedPublicKeyFiles, which only a portal outside
/// Production trusts; a product may refuse such entitlements.</param>
public sealed record ApiLicense(string Product, string State, string? Plan, IReadOnlyList<string> Features, ApiSeats Seats, DateTimeOffset? ExpiresAt, string? LicenseId,
    bool DevelopmentLicense);

/// <param name="Total">The license's maxUsers (0 without a license).</param>
/// <param name="Used">Users granted access to the product; more than <paramref name="Total"/> means over-allocated.</param>
public sealed record ApiSeats(int Total, int Used);
