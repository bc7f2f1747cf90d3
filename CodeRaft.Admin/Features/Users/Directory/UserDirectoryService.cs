using System.Linq.Expressions;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Users.Directory;

/// <summary>
/// The read side of the Users page: a server-side paged, filtered, sorted directory and one user's detail.
/// Nothing here changes data (mutations live in the users service of issue 5).
///
/// Every query projects the columns it shows, so no <see cref="AdminUser"/> entity is ever materialized: the
/// password hash is never read and the encryption interceptor never decrypts a TOTP key for a list.
/// </summary>
public sealed class UserDirectoryService(IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
{
    /// <summary>How many sign-in and activity entries the detail shows.</summary>
    public const int DetailEntries = 20;

    public async Task<UserPage> GetPageAsync(UserQuery query, CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, UserQuery.MaxPageSize);
        var pageIndex = Math.Max(0, query.PageIndex);
        var skip = (long)pageIndex * pageSize;
        if (skip > int.MaxValue || !CanMatch(query, out var pattern))
        {
            return UserPage.Empty(pageIndex, pageSize);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One connection for the count, the page and the seats (EF would open and close one per statement).
        await db.Database.OpenConnectionAsync(cancellationToken);
        if (pattern is not null)
        {
            UseUnicodeUpper(db);
        }

        var users = Filter(db, query, pattern);
        var total = await users.CountAsync(cancellationToken);
        if (skip >= total)
        {
            return new UserPage([], total, pageIndex, pageSize);
        }

        var rows = await Order(users, query.Sort, query.Descending)
            .Skip((int)skip)
            .Take(pageSize)
            .Select(u => new
            {
                u.Id,
                u.DisplayName,
                u.Email,
                u.UserName,
                u.Role,
                u.Status,
                Mfa = u.TotpEnabledAt != null,
                u.LastSignInAt,
                u.CreatedAt,
            })
            .ToListAsync(cancellationToken);

        // One more query for the page's product seats, instead of a join that would multiply the rows.
        var ids = rows.Select(r => r.Id).ToList();
        var seats = (await db.ProductAccess.AsNoTracking()
                .Where(p => ids.Contains(p.UserId))
                .Select(p => new { p.UserId, p.Product })
                .ToListAsync(cancellationToken))
            .ToLookup(p => p.UserId, p => p.Product);

        return new UserPage(
            [.. rows.Select(r => new UserRow(r.Id, r.DisplayName, r.Email ?? "", r.UserName ?? "", r.Role, r.Status, r.Mfa,
                [.. seats[r.Id].Order()], Utc(r.LastSignInAt), Utc(r.CreatedAt)))],
            total, pageIndex, pageSize);
    }

    /// <summary>The user's detail, or null when there is no such user (any more).</summary>
    public async Task<UserDetail?> GetDetailAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken); // one connection for the eight statements
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new
            {
                u.Id,
                u.DisplayName,
                u.Email,
                u.UserName,
                u.Role,
                u.Status,
                u.LastSignInAt,
                u.CreatedAt,
                u.ExternalIssuer,
                u.TotpEnabledAt,
                u.TotpLockedUntil,
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return null;
        }

        var grants = await db.ProductAccess.AsNoTracking()
            .Where(p => p.UserId == userId)
            .Select(p => new { p.Product, p.GrantedAt, p.GrantedBy })
            .ToListAsync(cancellationToken);
        var recoveryCodes = await db.RecoveryCodes.CountAsync(c => c.UserId == userId && c.UsedAt == null, cancellationToken);

        // Audit entries name users by their id as text (AuditActor.User(user.Id.ToString(), …)).
        var id = userId.ToString();
        var signIns = await RecentEntriesAsync(db.AuditEntries.Where(e => e.Category == "auth"), id, cancellationToken);
        var activity = await RecentEntriesAsync(db.AuditEntries, id, cancellationToken);
        // The keys this user created (ApiKey.CreatedBy holds the creator's id as text), newest first.
        var apiKeys = await db.ApiKeys.AsNoTracking().Where(k => k.CreatedBy == id)
            .OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Identifier)
            .Select(k => new UserApiKeySummary(k.Id, k.Name, k.Identifier, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);

        var now = time.GetUtcNow().UtcDateTime;
        var lockedUntil = Utc(user.TotpLockedUntil);
        var row = new UserRow(user.Id, user.DisplayName, user.Email ?? "", user.UserName ?? "", user.Role, user.Status,
            user.TotpEnabledAt is not null, [.. grants.Select(g => g.Product).Order()], Utc(user.LastSignInAt), Utc(user.CreatedAt));
        return new UserDetail(
            row,
            user.ExternalIssuer,
            new UserMfaStatus(Utc(user.TotpEnabledAt), lockedUntil > now ? lockedUntil : null, user.TotpEnabledAt is null ? 0 : recoveryCodes),
            [.. grants.OrderBy(g => g.Product).Select(g => new ProductGrant(g.Product, Utc(g.GrantedAt), g.GrantedBy))],
            signIns,
            activity,
            apiKeys);
    }

    /// <summary>
    /// The newest entries that name the user as target or as actor. Two queries, one per index
    /// ((target_id, sequence) and (actor_id, sequence)), each reading at most <see cref="DetailEntries"/> rows
    /// backwards from the user's newest entry, merged here: an OR in one statement lets SQLite and PostgreSQL
    /// fall back to walking the whole log backwards, which for a quiet user means reading all of it.
    /// </summary>
    private static async Task<IReadOnlyList<UserAuditLine>> RecentEntriesAsync(IQueryable<AuditEntry> entries, string id, CancellationToken cancellationToken)
    {
        var asTarget = await Lines(entries.Where(e => e.TargetId == id)).ToListAsync(cancellationToken);
        var asActor = await Lines(entries.Where(e => e.ActorId == id)).ToListAsync(cancellationToken);
        return [.. asTarget.Concat(asActor).DistinctBy(e => e.Sequence).OrderByDescending(e => e.Sequence).Take(DetailEntries)];

        // The portal's own entries only: ingested product events may name any actor or target (a user's id is
        // readable through the API) and must not appear as this user's sign-ins or activity.
        static IQueryable<UserAuditLine> Lines(IQueryable<AuditEntry> query) => query.AsNoTracking()
            .Where(e => e.Product == Audit.Chain.AuditVocabulary.Admin)
            .OrderByDescending(e => e.Sequence)
            .Take(DetailEntries)
            .Select(e => new UserAuditLine(e.Sequence, e.Timestamp, e.Category, e.Action, e.Outcome, e.ActorType, e.ActorId, e.ActorName,
                e.SourceIp, e.TargetType, e.TargetId));
    }

    private static IQueryable<AdminUser> Filter(AdminDbContext db, UserQuery query, string? pattern)
    {
        var users = db.Users.AsNoTracking();
        if (pattern is not null && db.Database.IsNpgsql())
        {
            // ILIKE folds both sides the same way, by the database's locale (Unicode under any UTF-8 locale).
            users = users.Where(u => EF.Functions.ILike(u.DisplayName, pattern, LikeEscape)
                || EF.Functions.ILike(u.Email!, pattern, LikeEscape)
                || EF.Functions.ILike(u.UserName!, pattern, LikeEscape));
        }
        else if (pattern is not null)
        {
            // SQLite's LIKE ignores case for ASCII letters only: both sides are upper-cased by the same .NET
            // function instead (the pattern here, the columns by the upper() this context registered).
            var upper = pattern.ToUpperInvariant();
            users = users.Where(u => EF.Functions.Like(u.DisplayName.ToUpper(), upper, LikeEscape)
                || EF.Functions.Like(u.Email!.ToUpper(), upper, LikeEscape)
                || EF.Functions.Like(u.UserName!.ToUpper(), upper, LikeEscape));
        }

        if (query.Role is { } role)
        {
            users = users.Where(u => u.Role == role);
        }

        if (query.Status is { } status)
        {
            users = users.Where(u => u.Status == status);
        }

        if (query.Product is { } product)
        {
            users = users.Where(u => db.ProductAccess.Any(p => p.UserId == u.Id && p.Product == product));
        }

        if (query.MfaEnrolled is { } enrolled)
        {
            users = enrolled ? users.Where(u => u.TotpEnabledAt != null) : users.Where(u => u.TotpEnabledAt == null);
        }

        return users;
    }

    /// <summary>
    /// The requested order, then display name (A to Z) and id, so that every page boundary is stable. Name and
    /// creation time follow their indexes; e-mail, role, status and last sign-in are ordered by expressions
    /// (missing values, role rank) that both providers must agree on, which an index cannot serve.
    /// </summary>
    private static IOrderedQueryable<AdminUser> Order(IQueryable<AdminUser> users, UserSort sort, bool descending) => sort switch
    {
        UserSort.Email => Ties(By(users, u => u.NormalizedEmail ?? "", descending)),
        UserSort.Role => Ties(By(users, u => u.Role == AdminRole.Owner ? 0 : u.Role == AdminRole.Administrator ? 1 : u.Role == AdminRole.Auditor ? 2 : 3, descending)),
        UserSort.Status => Ties(By(users, u => u.Status == AdminUserStatus.Active ? 0 : u.Status == AdminUserStatus.Invited ? 1 : 2, descending)),
        UserSort.Created => Ties(By(users, u => u.CreatedAt, descending)),
        // Never signed in counts as longest ago: first when ascending, last when descending, on both providers
        // (SQLite and PostgreSQL disagree on where NULL sorts).
        UserSort.LastSignIn => Ties(Then(By(users, u => u.LastSignInAt == null ? 0 : 1, descending), u => u.LastSignInAt, descending)),
        _ => Then(By(users, u => u.DisplayName, descending), u => u.Id, descending),
    };

    private static IOrderedQueryable<AdminUser> By<TKey>(IQueryable<AdminUser> users, Expression<Func<AdminUser, TKey>> key, bool descending) =>
        descending ? users.OrderByDescending(key) : users.OrderBy(key);

    private static IOrderedQueryable<AdminUser> Then<TKey>(IOrderedQueryable<AdminUser> users, Expression<Func<AdminUser, TKey>> key, bool descending) =>
        descending ? users.ThenByDescending(key) : users.ThenBy(key);

    /// <summary>Within equal keys: by name, A to Z, whatever the direction (people look for names), then by id.</summary>
    private static IOrderedQueryable<AdminUser> Ties(IOrderedQueryable<AdminUser> users) => users.ThenBy(u => u.DisplayName).ThenBy(u => u.Id);

    private const string LikeEscape = "\\";

    /// <summary>
    /// False when the query cannot match any user, so no statement is sent; otherwise the LIKE pattern of the
    /// search (null without one).
    /// </summary>
    private static bool CanMatch(UserQuery query, out string? pattern)
    {
        pattern = null;
        if ((query.Role is { } role && !Enum.IsDefined(role))
            || (query.Status is { } status && !Enum.IsDefined(status))
            || (query.Product is { } product && !Enum.IsDefined(product)))
        {
            return false;
        }

        var search = query.Search?.Trim();
        if (string.IsNullOrEmpty(search))
        {
            return true;
        }

        // Stored text holds neither NUL (PostgreSQL refuses it) nor broken UTF-16, and no value is longer than
        // MaxSearchLength: such a search matches nothing, and sending it would only provoke driver errors.
        if (search.Length > UserQuery.MaxSearchLength || search.Contains('\0', StringComparison.Ordinal) || !CodeRaft.Admin.Infrastructure.Text.UnicodeText.IsWellFormedUtf16(search))
        {
            return false;
        }

        pattern = $"%{EscapeLike(search)}%";
        return true;
    }

    /// <summary>The text matched literally: LIKE's wildcards and the escape character itself are escaped.</summary>
    internal static string EscapeLike(string value) => value
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal)
        .Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>
    /// SQLite's built-in upper() folds ASCII letters only, so "müller" would not find "Müller". For this
    /// context's connection, upper() is replaced by .NET's invariant upper-casing (the same the pattern gets);
    /// for ASCII it is the same function. PostgreSQL needs nothing: its search uses ILIKE.
    /// </summary>
    private static void UseUnicodeUpper(AdminDbContext db)
    {
        // Registered on this context's open connection, which it keeps until the context is disposed.
        if (db.Database.GetDbConnection() is SqliteConnection connection)
        {
            connection.CreateFunction("upper", (string? value) => value?.ToUpperInvariant(), isDeterministic: true);
        }
    }

    // SQLite hands back DateTime values without a kind; the store writes UTC.
    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
