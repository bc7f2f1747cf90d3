using Microsoft.EntityFrameworkCore;
using CodeRaft.Admin.Infrastructure.Data;

namespace CodeRaft.Admin.Features.Audit.Viewer;

/// <summary>Filters of the audit viewer and the export. Every value is a plain parameter; nothing is concatenated into SQL.</summary>
public sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public string? Product { get; init; }
    public string? Category { get; init; }
    public string? Action { get; init; }
    public string? Outcome { get; init; }
    /// <summary>Matches actor id or name (substring).</summary>
    public string? Actor { get; init; }
    /// <summary>Matches target type or id (substring).</summary>
    public string? Target { get; init; }
    /// <summary>Substring of action, actor, target or details. Scans: narrow with the other filters on large logs.</summary>
    public string? Text { get; init; }

    public static AuditFilter None { get; } = new();
}

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long HeadSequence, bool HasOlder, bool HasNewer);

/// <summary>
/// Server-side keyset paging over the audit log, newest first: a page is "the N entries before sequence S that
/// match the filter", which an index range scan answers in the same time on page 1 and page 20,000.
/// </summary>
public sealed class AuditQueryService(IDbContextFactory<AdminDbContext> contexts)
{
    public const int MaxPageSize = 500;
    private const int MaxFilterLength = 512;

    /// <param name="beforeSequence">Exclusive upper bound; null = from the newest entry.</param>
    public async Task<AuditPage> GetPageAsync(AuditFilter filter, long? beforeSequence, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var head = await db.AuditEntries.MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
        var query = Apply(db.AuditEntries.AsNoTracking(), filter);
        var page = beforeSequence is { } before ? query.Where(e => e.Sequence < before) : query;
        var entries = await page.OrderByDescending(e => e.Sequence).Take(pageSize + 1).ToListAsync(cancellationToken);
        var hasOlder = entries.Count > pageSize;
        if (hasOlder)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        var hasNewer = beforeSequence is not null && entries.Count > 0 && await query.AnyAsync(e => e.Sequence > entries[0].Sequence, cancellationToken);
        return new AuditPage(entries, head, hasOlder, hasNewer);
    }

    /// <summary>The page of newer entries just above <paramref name="afterSequence"/> (for "newer" navigation).</summary>
    public async Task<long?> BeforeSequenceForNewerPageAsync(AuditFilter filter, long afterSequence, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var newer = await Apply(db.AuditEntries.AsNoTracking(), filter).Where(e => e.Sequence > afterSequence)
            .OrderBy(e => e.Sequence).Select(e => e.Sequence).Take(pageSize).ToListAsync(cancellationToken);
        return newer.Count < pageSize ? null : newer[^1] + 1;
    }

    public async Task<AuditEntry?> FindAsync(long sequence, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.AsNoTracking().SingleOrDefaultAsync(e => e.Sequence == sequence, cancellationToken);
    }

    public static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> query, AuditFilter filter)
    {
        if (filter.From is { } from)
        {
            var text = Chain.AuditHash.FormatTimestamp(from);
            query = query.Where(e => string.Compare(e.Timestamp, text) >= 0);
        }

        if (filter.To is { } to)
        {
            var text = Chain.AuditHash.FormatTimestamp(to);
            query = query.Where(e => string.Compare(e.Timestamp, text) <= 0);
        }

        if (Clean(filter.Product) is { } product)
        {
            query = query.Where(e => e.Product == product);
        }

        if (Clean(filter.Category) is { } category)
        {
            query = query.Where(e => e.Category == category);
        }

        if (Clean(filter.Outcome) is { } outcome)
        {
            query = query.Where(e => e.Outcome == outcome);
        }

        if (Clean(filter.Action) is { } action)
        {
            var pattern = LikePrefix(action);
            query = query.Where(e => EF.Functions.Like(e.Action, pattern, "\\"));
        }

        if (Clean(filter.Actor) is { } actor)
        {
            var pattern = LikeContains(actor);
            query = query.Where(e => EF.Functions.Like(e.ActorId, pattern, "\\") || EF.Functions.Like(e.ActorName, pattern, "\\"));
        }

        if (Clean(filter.Target) is { } target)
        {
            var pattern = LikeContains(target);
            query = query.Where(e => EF.Functions.Like(e.TargetType, pattern, "\\") || EF.Functions.Like(e.TargetId, pattern, "\\"));
        }

        if (Clean(filter.Text) is { } free)
        {
            var pattern = LikeContains(free);
            query = query.Where(e => EF.Functions.Like(e.Action, pattern, "\\") || EF.Functions.Like(e.ActorName, pattern, "\\")
                || EF.Functions.Like(e.TargetId, pattern, "\\") || EF.Functions.Like(e.Details, pattern, "\\"));
        }

        return query;
    }

    private static string? Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.Length > MaxFilterLength ? value[..MaxFilterLength] : value;
    }

    // The user's text is matched literally: LIKE wildcards in it are escaped.
    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static string LikeContains(string value) => $"%{Escape(value)}%";

    private static string LikePrefix(string value) => $"{Escape(value)}%";
}
