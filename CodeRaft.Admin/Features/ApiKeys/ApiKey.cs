using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// An API key as stored (table <c>api_keys</c>): never the key itself, only its SHA-256 and its visible identifier
/// (the first 12 characters). See docs/api.md.
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }

    /// <summary>The first 12 characters of the key, e.g. <c>crk_7Hq2LmX9</c>: shown in the UI and the audit log.</summary>
    public required string Identifier { get; set; }

    /// <summary>SHA-256 of the whole key, lower-case hex (64 characters).</summary>
    public required string KeyHash { get; set; }

    public required string Name { get; set; }

    /// <summary>Space-separated, sorted, e.g. <c>audit:read users:read</c> (see <see cref="ApiKeyScopes"/>).</summary>
    public required string Scopes { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Who created it: a console user's id, or <c>cli</c>.</summary>
    public required string CreatedBy { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    public DateTime? LastUsedAt { get; set; }

    /// <summary>The source IP of the last use (updated at most once a minute).</summary>
    public string? LastUsedFrom { get; set; }

    public int RateLimitPerMinute { get; set; }

    public IReadOnlyList<string> ScopeList => ApiKeyScopes.Parse(Scopes);
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.Ignore(x => x.ScopeList);
        builder.Property(x => x.Identifier).HasMaxLength(ApiKeyFormat.IdentifierLength);
        builder.Property(x => x.KeyHash).HasMaxLength(64);
        builder.Property(x => x.Name).HasMaxLength(ApiKeyInputValidator.MaxNameLength);
        builder.Property(x => x.Scopes).HasMaxLength(200);
        builder.Property(x => x.CreatedBy).HasMaxLength(256);
        builder.Property(x => x.RevokedBy).HasMaxLength(256);
        builder.Property(x => x.LastUsedFrom).HasMaxLength(64);
        builder.HasIndex(x => x.Identifier).IsUnique();
        builder.HasIndex(x => x.KeyHash).IsUnique();
    }
}

/// <summary>The scopes of CONTRACTS §5. None allows an administrative write.</summary>
public static class ApiKeyScopes
{
    public const string AuditWrite = "audit:write";
    public const string AuditRead = "audit:read";
    public const string LicensesRead = "licenses:read";
    public const string UsersRead = "users:read";

    public static IReadOnlyList<string> All { get; } = [AuditWrite, AuditRead, LicensesRead, UsersRead];

    public static IReadOnlyList<string> Parse(string? stored) =>
        [.. (stored ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>The stored form: known scopes only, distinct, in the order of <see cref="All"/>.</summary>
    public static string Format(IEnumerable<string> scopes)
    {
        var set = scopes.ToHashSet(StringComparer.Ordinal);
        return string.Join(' ', All.Where(set.Contains));
    }
}
