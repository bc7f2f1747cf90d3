using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// Creating, revoking and listing API keys (docs/api.md). NOT for components: the console's service (a later slice
/// of issue 6) demands a step-up first; the CLI calls this with <see cref="UserOperator.HostCli"/>.
///
/// Each change runs in ONE <see cref="AuditWriter.ExecuteAsync{T}"/>: the row and its audit entry commit together or
/// not at all. The plaintext key exists only in the <see cref="ApiKeyCreated"/> returned once; the row holds its
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
            CreatedBy = ActorId(by),
            ExpiresAt = now.AddDays(input.ExpiresInDays).UtcDateTime,
            RateLimitPerMinute = input.RateLimitPerMinute,
        };

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await audit.ExecuteAsync<bool>(db, async ct =>
        {
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
            return (true, [Event("apikey.created", by, row, AuditDetails.Of(
                ("id", row.Id.ToString()),
                ("identifier", row.Identifier),
                ("name", row.Name),
                ("scopes", row.ScopeList),
                ("expiresAt", AuditHash.FormatTimestamp(new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero))),
                ("rateLimitPerMinute", row.RateLimitPerMinute)))]);
        }, cancellationToken);

        return new ApiKeyCreateResult(ApiKeyOutcome.Succeeded,
            string.Create(CultureInfo.InvariantCulture, $"Created API key {row.Identifier} ({row.Name}); it expires on {row.ExpiresAt:yyyy-MM-dd HH:mm} UTC."),
            new ApiKeyCreated(row.Id, row.Identifier, key, row.ExpiresAt));
    }

    public async Task<ApiKeyResult> RevokeAsync(UserOperator by, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await audit.ExecuteAsync<ApiKeyResult>(db, async ct =>
        {
            var row = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
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
            row.RevokedBy = ActorId(by);
            await db.SaveChangesAsync(ct);
            return (new ApiKeyResult(ApiKeyOutcome.Succeeded, $"Revoked API key {row.Identifier} ({row.Name}); it is refused from now on."),
                [Event("apikey.revoked", by, row, AuditDetails.Of(("id", row.Id.ToString()), ("identifier", row.Identifier), ("name", row.Name)))]);
        }, cancellationToken);
    }

    /// <summary>All keys, newest first. Rows carry no secret (the hash is not projected).</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking()
            .OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Identifier)
            .Select(k => new ApiKeySummary(k.Id, k.Identifier, k.Name, k.Scopes, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt,
                k.LastUsedAt, k.LastUsedFrom, k.RateLimitPerMinute))
            .ToListAsync(cancellationToken);
    }

    private static string ActorId(UserOperator by) => by.IsHostCli ? "cli" : by.UserId!.Value.ToString();

    private static AuditEvent Event(string action, UserOperator by, ApiKey row, System.Text.Json.Nodes.JsonObject details) => new()
    {
        Category = "apikeys",
        Action = action,
        Actor = by.IsHostCli ? AuditActor.Cli : AuditActor.User(by.UserId!.Value.ToString(), ""),
        // CONTRACTS §5: the identifier names a key in the audit log (docs/audit-chain.md, worked example).
        TargetType = "apikey",
        TargetId = row.Identifier,
        Details = details,
    };
}

public enum ApiKeyOutcome
{
    Succeeded,
    Unchanged,
    Invalid,
    NotFound,
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
