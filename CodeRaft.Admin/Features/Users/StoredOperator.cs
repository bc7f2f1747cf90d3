using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// Who is changing something, as the store knows them at the moment of the change (read inside the change's
/// transaction, never from the session's claims): the id written into created-by columns, the audit actor, and why
/// they may not act (<see cref="Denial"/>, null when they may). The CLI acts with host authority and is never denied.
/// </summary>
public sealed record StoredOperator(string Id, AuditActor Audit, string? Denial)
{
    public static async Task<StoredOperator> LoadAsync(AdminDbContext db, UserOperator by, AdminPermission permission, string refusal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(by);
        if (by.IsHostCli)
        {
            return new StoredOperator("cli", AuditActor.Cli, null);
        }

        var id = by.UserId!.Value;
        var user = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Role, u.Status, u.DisplayName, u.Email }).SingleOrDefaultAsync(cancellationToken);
        var actor = AuditActor.User(id.ToString(), user is null ? "" : AuditText(string.IsNullOrEmpty(user.DisplayName) ? user.Email : user.DisplayName));
        var denial = user is null ? "Your account no longer exists."
            : user.Status != AdminUserStatus.Active ? "Your account is not active."
            : !user.Role.Allows(permission) ? refusal
            : null;
        return new StoredOperator(id.ToString(), actor, denial);
    }

    /// <summary>Names come from the store, and OIDC providers fill some: keep the audit's one-line fields clean.</summary>
    public static string AuditText(string? value)
    {
        var clean = new string((value ?? "").Where(c => !char.IsControl(c) && !char.IsSurrogate(c) && c is not (>= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')).ToArray());
        return clean.Length > 256 ? clean[..256] : clean;
    }
}
