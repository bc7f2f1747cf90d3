using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Bench.Users;

internal sealed record SeededUsers(IReadOnlyList<Guid> Ids, int Administrators, int Disabled, int Enrolled, int Seats);

/// <summary>
/// A directory shaped like a large customer's, through the app's own entities and context (so TOTP keys are
/// encrypted by the interceptor, as in production), in transactions of 1,000 users. Deterministic: the same seed
/// gives the same users, so runs compare.
/// </summary>
internal static class UserSeeder
{
    private static readonly string[] FirstNames =
    [
        "Ada", "Alan", "Barbara", "Brian", "Carla", "Chen", "Dana", "Dmitri", "Elif", "Emma", "Farid", "Fatima", "Grace", "Hiro", "Ines",
        "Jürgen", "Kofi", "Lena", "Mateo", "Nadia", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Yara",
    ];

    private static readonly string[] LastNames =
    [
        "Andersson", "Baker", "Johnson", "Dijkstra", "Eriksson", "Fischer", "García", "Hopper", "Ivanova", "Jackson", "Kowalski", "Lovelace",
        "Müller", "Nakamura", "Okafor", "Petersen", "Quispe", "Robinson", "Schmidt", "Turing", "Umarov", "Virtanen", "Wilson", "Xu", "Yilmaz", "Zhang",
    ];

    public static async Task<SeededUsers> SeedAsync(IDbContextFactory<AdminDbContext> contexts, int count, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var now = DateTime.UtcNow;
        var ids = new List<Guid>(count);
        int administrators = 0, disabled = 0, enrolled = 0, seats = 0;
        for (var start = 0; start < count; start += 1000)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            for (var i = start; i < Math.Min(count, start + 1000); i++)
            {
                var first = FirstNames[random.Next(FirstNames.Length)];
                var last = LastNames[random.Next(LastNames.Length)];
                var email = $"{Ascii(first)}.{Ascii(last)}.{i}@corp.example";
                var role = random.Next(100) switch
                {
                    0 => AdminRole.Owner,
                    < 11 => AdminRole.Administrator,
                    < 25 => AdminRole.Auditor,
                    _ => AdminRole.Viewer,
                };
                var status = random.Next(100) switch
                {
                    < 85 => AdminUserStatus.Active,
                    < 90 => AdminUserStatus.Invited,
                    _ => AdminUserStatus.Disabled,
                };
                var created = now.AddMinutes(-random.Next(2 * 365 * 24 * 60));
                var user = AdminUser.Create(email, email, $"{first} {last}", role, status, created);
                user.PasswordHash = "AQAAAAIAAYagAAAAEBenchPlaceholderNotARealPasswordHash==";
                if (status != AdminUserStatus.Invited && random.Next(100) < 80)
                {
                    user.TotpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
                    user.TotpEnabledAt = created.AddHours(1);
                    enrolled++;
                }

                if (status != AdminUserStatus.Invited && random.Next(100) < 70)
                {
                    user.LastSignInAt = created.AddMinutes(random.Next((int)(now - created).TotalMinutes + 1));
                }

                db.Users.Add(user);
                foreach (var (product, percent) in new[] { (Product.EntraGuard, 40), (Product.Ravenscan, 30), (Product.RedFoxBastion, 20) })
                {
                    if (random.Next(100) < percent)
                    {
                        db.ProductAccess.Add(new ProductAccess { Id = Guid.CreateVersion7(), UserId = user.Id, Product = product, GrantedAt = created, GrantedBy = "bench" });
                        seats++;
                    }
                }

                ids.Add(user.Id);
                administrators += role == AdminRole.Administrator ? 1 : 0;
                disabled += status == AdminUserStatus.Disabled ? 1 : 0;
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        return new SeededUsers(ids, administrators, disabled, enrolled, seats);
    }

    private static string Ascii(string name) => name.ToLowerInvariant().Replace("ü", "ue", StringComparison.Ordinal).Replace("í", "i", StringComparison.Ordinal);
}
