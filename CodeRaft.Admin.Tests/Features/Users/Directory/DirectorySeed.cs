using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Users.Directory;

/// <summary>A user to put into the store: days are counted from <see cref="DirectorySeed.Epoch"/>.</summary>
internal sealed record SeedUser(
    string DisplayName,
    string? Email,
    AdminRole Role = AdminRole.Viewer,
    AdminUserStatus Status = AdminUserStatus.Active,
    bool Mfa = false,
    Product[]? Products = null,
    int CreatedDay = 0,
    int? LastSignInDay = null,
    string? UserName = null);

/// <summary>Writes users the way the portal stores them (Identity columns, encrypted TOTP key, product seats).</summary>
internal static class DirectorySeed
{
    public static readonly DateTime Epoch = new(2026, 1, 5, 9, 30, 0, DateTimeKind.Utc);

    /// <summary>
    /// The directory most tests read: every role, status and product, MFA on and off, never-signed-in users, a
    /// non-ASCII name, and e-mail addresses whose order differs from the names' order.
    /// </summary>
    public static readonly SeedUser[] Standard =
    [
        new("Ada Lovelace", "lovelace@example.test", AdminRole.Owner, AdminUserStatus.Active, Mfa: true, [Product.EntraGuard, Product.Ravenscan], CreatedDay: 0, LastSignInDay: 10),
        new("Grace Hopper", "hopper@navy.example", AdminRole.Administrator, AdminUserStatus.Active, Mfa: true, [Product.RedFoxBastion], CreatedDay: 1, LastSignInDay: 8),
        new("Alan Turing", "turing@bletchley.example", AdminRole.Administrator, AdminUserStatus.Disabled, Mfa: false, [Product.EntraGuard], CreatedDay: 2),
        new("Barbara Liskov", "liskov@mit.example", AdminRole.Auditor, AdminUserStatus.Active, Mfa: true, [Product.EntraGuard], CreatedDay: 3, LastSignInDay: 12),
        new("Edsger Dijkstra", "dijkstra@example.test", AdminRole.Viewer, AdminUserStatus.Invited, Mfa: false, [], CreatedDay: 4),
        new("Katherine Johnson", "johnson@nasa.example", AdminRole.Viewer, AdminUserStatus.Active, Mfa: false, [Product.Ravenscan], CreatedDay: 5, LastSignInDay: 6),
        new("Jürgen Müller", "mueller@example.test", AdminRole.Viewer, AdminUserStatus.Active, Mfa: true, [], CreatedDay: 6, LastSignInDay: 7, UserName: "jmueller"),
    ];

    /// <summary>Adds the users; returns their ids by display name.</summary>
    public static async Task<Dictionary<string, Guid>> SeedAsync(TestStore store, params IEnumerable<SeedUser> users)
    {
        await using var db = await store.Contexts.CreateDbContextAsync();
        var ids = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var seed in users)
        {
            var user = AdminUser.Create(seed.UserName ?? seed.Email ?? seed.DisplayName, seed.Email, seed.DisplayName, seed.Role, seed.Status, Epoch.AddDays(seed.CreatedDay));
            user.LastSignInAt = seed.LastSignInDay is { } day ? Epoch.AddDays(day) : null;
            user.PasswordHash = "AQAAAAIAAYagAAAAEPlaceholderNotARealHash==";
            if (seed.Mfa)
            {
                user.TotpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
                user.TotpEnabledAt = Epoch.AddDays(seed.CreatedDay).AddHours(1);
            }

            db.Users.Add(user);
            foreach (var product in seed.Products ?? [])
            {
                db.ProductAccess.Add(new ProductAccess
                {
                    Id = Guid.CreateVersion7(),
                    UserId = user.Id,
                    Product = product,
                    GrantedAt = Epoch.AddDays(seed.CreatedDay).AddHours(2),
                    GrantedBy = "Ada Lovelace",
                });
            }

            ids[seed.DisplayName] = user.Id;
        }

        await db.SaveChangesAsync();
        return ids;
    }
}
