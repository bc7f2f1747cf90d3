using System.Globalization;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Features.Users.Directory;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// Creating, revoking and listing API keys (docs/api.md). NOT for components: the console goes through
/// <see cref="ApiKeyService"/>, which demands a step-up first; the CLI calls this with <see cref="UserOperator.HostCli"/>.
///
/// Each change runs in ONE <see cref="AuditWriter.ExecuteAsync{T}"/>: the row and its audit entry commit together or
/// not at all. A console user's CURRENT role and status are read from the store inside that transaction (never the
/// session's claims): only active holders of <see cref="AdminPermission.ManageApiKeys"/> may create or revoke; a
/// refusal is audited as denied and changes nothing. The host CLI is not subject to the matrix (see
/// <see cref="UserOperator.HostCli"/>). The plaintext key exists only in the <see cref="ApiKeyCreated"/> returned once; the row holds its
/// SHA-256, and the audit entry its identifier (first 12 characters) — never the key.
/// </summary>
public sealed class ApiKeyManagementCore(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    ApiKeyInputValidator validator,
    TimeProvider time)
{
    /// <summary>Where new keys come from; tests replace it to force identifier clashes.</summary>
    internal Func<string> NewKey { get; init; } = ApiKeyFormat.Generate;

    /// <summary>Raised after a change to an existing key has committed (revocation): the lookup cache forgets its rows.</summary>
    public event Action? KeyChanged;

    public async Task<ApiKeyCreateResult> CreateAsync(UserOperator by, ApiKeyInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(input);
        var validation = await validator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return new ApiKeyCreateResult(ApiKeyOutcome.Invalid, validation.Errors[0].ErrorMessage, null);
        }

        var now = time.GetUtcNow();
        var key = NewKey();
        var row = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Identifier = ApiKeyFormat.Identifier(key),
            KeyHash = ApiKeyFormat.Hash(key),
            Name = ApiKeyInputValidator.Trimmed(input.Name),
            Scopes = ApiKeyScopes.Format(input.Scopes),
            CreatedAt = now.UtcDateTime,
            CreatedBy = "", // the operator's id, set once the store has vouched for them
            ExpiresAt = now.AddDays(input.ExpiresInDays).UtcDateTime,
            RateLimitPerMinute = input.RateLimitPerMinute,
        };

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var denied = await audit.ExecuteAsync<string?>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            if (actor.Denial is { } denial)
            {
                return (denial, [Denied("apikey.created", actor, "", denial, AuditDetails.Of(("name", row.Name), ("scopes", row.ScopeList)))]);
            }

            row.CreatedBy = actor.Id;

            // An identifier carries about 47 random bits: among many keys a clash is rare but possible, and the
            // identifier must name one key. Draw again (inside the chain lock, so no concurrent creation interleaves).
            for (var attempt = 0; await db.ApiKeys.AnyAsync(k => k.Identifier == row.Identifier || k.KeyHash == row.KeyHash, ct); attempt++)
            {
                if (attempt == 8)
                {
                    throw new InvalidOperationException("Could not draw an API key with an unused identifier.");
                }

                key = NewKey();
                row.Identifier = ApiKeyFormat.Identifier(key);
                row.KeyHash = ApiKeyFormat.Hash(key);
            }

            db.ApiKeys.Add(row);
            await db.SaveChangesAsync(ct);
            return (null, [Event("apikey.created", actor, row, AuditDetails.Of(
                ("id", row.Id.ToString()),
                ("identifier", row.Identifier),
                ("name", row.Name),
                ("scopes", row.ScopeList),
                ("expiresAt", AuditHash.FormatTimestamp(new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero))),
                ("rateLimitPerMinute", row.RateLimitPerMinute)))]);
        }, cancellationToken);

        if (denied is not null)
        {
            return new ApiKeyCreateResult(ApiKeyOutcome.Denied, denied, null);
        }

        return new ApiKeyCreateResult(ApiKeyOutcome.Succeeded,
            string.Create(CultureInfo.InvariantCulture, $"Created API key {row.Identifier} ({row.Name}); it expires on {row.ExpiresAt:yyyy-MM-dd HH:mm} UTC."),
            new ApiKeyCreated(row.Id, row.Identifier, key, row.ExpiresAt));
    }

    public async Task<ApiKeyResult> RevokeAsync(UserOperator by, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await RevokeInTransactionAsync(db, by, id, cancellationToken);
        if (result.Succeeded)
        {
            KeyChanged?.Invoke(); // after the commit: a request from now on finds the key revoked
        }

        return result;
    }

    private Task<ApiKeyResult> RevokeInTransactionAsync(AdminDbContext db, UserOperator by, Guid id, CancellationToken cancellationToken) =>
        audit.ExecuteAsync<ApiKeyResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var row = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
            if (actor.Denial is { } denial)
            {
                return (new ApiKeyResult(ApiKeyOutcome.Denied, denial),
                    [Denied("apikey.revoked", actor, row?.Identifier ?? "", denial, AuditDetails.Of(("id", id.ToString())))]);
            }

            if (row is null)
            {
                return (new ApiKeyResult(ApiKeyOutcome.NotFound, "No API key has this id."), []);
            }

            if (row.RevokedAt is { } at)
            {
                return (new ApiKeyResult(ApiKeyOutcome.Unchanged, string.Create(CultureInfo.InvariantCulture,
                    $"API key {row.Identifier} ({row.Name}) was already revoked on {at:yyyy-MM-dd HH:mm} UTC; nothing was changed.")), []);
            }

            row.RevokedAt = time.GetUtcNow().UtcDateTime;
            row.RevokedBy = actor.Id;
            await db.SaveChangesAsync(ct);
            return (new ApiKeyResult(ApiKeyOutcome.Succeeded, $"Revoked API key {row.Identifier} ({row.Name}); it is refused from now on."),
                [Event("apikey.revoked", actor, row, AuditDetails.Of(("id", row.Id.ToString()), ("identifier", row.Identifier), ("name", row.Name)))]);
        }, cancellationToken);

    /// <summary>All keys, newest first. Rows carry no secret (the hash is not projected).</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Summaries(db.ApiKeys.AsNoTracking()).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// All keys for the console, newest first, each with the name of who created it (a console user's display name or
    /// e-mail address as the store has it now; <c>cli</c>; or the stored id when that user was removed), and the time
    /// of reading, against which the console tells expired and expiring keys.
    /// </summary>
    public async Task<ApiKeyList> ListWithCreatorsAsync(CancellationToken cancellationToken = default)
    {
        var asOf = time.GetUtcNow().UtcDateTime;
        var keys = await ListAsync(cancellationToken);
        var ids = keys.Select(k => Guid.TryParse(k.CreatedBy, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id))
            .Select(u => new { u.Id, u.DisplayName, u.Email }).ToListAsync(cancellationToken);
        var names = users.ToDictionary(u => u.Id.ToString(), u => string.IsNullOrWhiteSpace(u.DisplayName) ? u.Email ?? u.Id.ToString() : u.DisplayName, StringComparer.OrdinalIgnoreCase);
        return new ApiKeyList([.. keys.Select(k => new ApiKeyListItem(k, names.GetValueOrDefault(k.CreatedBy, k.CreatedBy)))], asOf);
    }

    /// <summary>The keys a console user created, newest first (the Users page's drawer).</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListCreatedByAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var id = userId.ToString();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Summaries(db.ApiKeys.AsNoTracking().Where(k => k.CreatedBy == id)).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// A key's activity: the newest <paramref name="limit"/> audit entries that name it as target (created, revoked) or
    /// as actor (requests made with it that were audited), newest first. Null when no key has this id. Two queries,
    /// one per index ((target_id, sequence), (actor_id, sequence)), merged here — as the Users drawer does.
    /// </summary>
    public async Task<ApiKeyActivity?> ActivityAsync(Guid id, int limit = ApiKeyActivity.DefaultLimit, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, 500);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var identifier = await db.ApiKeys.AsNoTracking().Where(k => k.Id == id).Select(k => k.Identifier).SingleOrDefaultAsync(cancellationToken);
        if (identifier is null)
        {
            return null;
        }

        var asTarget = await Lines(db.AuditEntries.Where(e => e.TargetId == identifier && e.TargetType == TargetType), limit).ToListAsync(cancellationToken);
        var asActor = await Lines(db.AuditEntries.Where(e => e.ActorId == identifier && e.ActorType == TargetType), limit).ToListAsync(cancellationToken);
        var merged = asTarget.Concat(asActor).DistinctBy(e => e.Sequence).OrderByDescending(e => e.Sequence).ToList();
        return new ApiKeyActivity(identifier, [.. merged.Take(limit)], merged.Count > limit || asTarget.Count == limit || asActor.Count == limit);

        // The portal's own entries only: a product's key may ingest any actor and target, and must not be able to
        // plant lines in a key's activity (ingested entries stay in the audit log, marked with their product).
        static IQueryable<UserAuditLine> Lines(IQueryable<AuditEntry> query, int limit) => query.AsNoTracking()
            .Where(e => e.Product == AuditVocabulary.Admin)
            .OrderByDescending(e => e.Sequence)
            .Take(limit)
            .Select(e => new UserAuditLine(e.Sequence, e.Timestamp, e.Category, e.Action, e.Outcome, e.ActorType, e.ActorId, e.ActorName,
                e.SourceIp, e.TargetType, e.TargetId));
    }

    /// <summary>
    /// Whether <paramref name="by"/> may manage API keys now (role and status from the store): for the console's reads
    /// and for showing the buttons. The operations check again inside their transaction.
    /// </summary>
    public async Task<bool> MayManageAsync(UserOperator by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await LoadOperatorAsync(db, by, cancellationToken)).Denial is null;
    }

    private const string TargetType = "apikey";

    private static IQueryable<ApiKeySummary> Summaries(IQueryable<ApiKey> keys) => keys
        .OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Identifier)
        .Select(k => new ApiKeySummary(k.Id, k.Identifier, k.Name, k.Scopes, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt,
            k.LastUsedAt, k.LastUsedFrom, k.RateLimitPerMinute));

    private static Task<StoredOperator> LoadOperatorAsync(AdminDbContext db, UserOperator by, CancellationToken ct) =>
        StoredOperator.LoadAsync(db, by, AdminPermission.ManageApiKeys, "Only Owners and Administrators can manage API keys.", ct);

    private static AuditEvent Event(string action, StoredOperator actor, ApiKey row, System.Text.Json.Nodes.JsonObject details) => new()
    {
        Category = "apikeys",
        Action = action,
        Actor = actor.Audit,
        // CONTRACTS §5: the identifier names a key in the audit log (docs/audit-chain.md, worked example).
        TargetType = TargetType,
        TargetId = row.Identifier,
        Details = details,
    };

    private static AuditEvent Denied(string action, StoredOperator actor, string identifier, string reason, System.Text.Json.Nodes.JsonObject details)
    {
        details["reason"] = reason;
        return new AuditEvent
        {
            Category = "apikeys",
            Action = action,
            Outcome = AuditVocabulary.Denied,
            Actor = actor.Audit,
            TargetType = TargetType,
            TargetId = identifier,
            Details = details,
        };
    }

    /// <summary>Who acts: the id recorded on the row (<c>cli</c> or a user id), the audit actor, and why they may not (null: they may).</summary>
}

public enum ApiKeyOutcome
{
    Succeeded,
    Unchanged,
    Invalid,
    NotFound,

    /// <summary>The operator may not manage API keys (role or status, read from the store); audited as denied.</summary>
    Denied,
}

public record ApiKeyResult(ApiKeyOutcome Outcome, string Message)
{
    public bool Succeeded => Outcome == ApiKeyOutcome.Succeeded;
}

public sealed record ApiKeyCreateResult(ApiKeyOutcome Outcome, string Message, ApiKeyCreated? Created) : ApiKeyResult(Outcome, Message);

/// <summary>The one and only time the plaintext exists outside its holder: show it once, then drop it.</summary>
public sealed record ApiKeyCreated(Guid Id, string Identifier, string Key, DateTime ExpiresAt)
{
    // Records print their members; this one must never end up in a log line.
    public override string ToString() => $"ApiKeyCreated {{ Id = {Id}, Identifier = {Identifier} }}";
}

public sealed record ApiKeySummary(Guid Id, string Identifier, string Name, string Scopes, DateTime CreatedAt, string CreatedBy,
    DateTime ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt, string? LastUsedFrom, int RateLimitPerMinute)
{
    public IReadOnlyList<string> ScopeList => ApiKeyScopes.Parse(Scopes);
}

/// <summary>The console's list, and when it was read (states such as "expired" are relative to it).</summary>
public sealed record ApiKeyList(IReadOnlyList<ApiKeyListItem> Keys, DateTime AsOf);

/// <summary>A key as the console lists it: the summary and the name of who created it.</summary>
public sealed record ApiKeyListItem(ApiKeySummary Key, string CreatedByName);

/// <summary>A key's audit entries, newest first; <see cref="MayHaveMore"/> when the log may hold older ones.</summary>
public sealed record ApiKeyActivity(string Identifier, IReadOnlyList<UserAuditLine> Entries, bool MayHaveMore)
{
    public const int DefaultLimit = 50;
}
