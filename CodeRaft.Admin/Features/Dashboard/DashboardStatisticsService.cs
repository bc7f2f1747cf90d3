using System.Globalization;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Dashboard;

/// <summary>One hour of the events-per-hour chart: its start (UTC) and how many entries it holds.</summary>
public sealed record HourlyCount(DateTimeOffset Hour, int Count);

/// <summary>How many entries of the period have this outcome.</summary>
public sealed record OutcomeCount(string Outcome, int Count);

/// <summary>Everything the dashboard shows about the audit log, read in one go.</summary>
public sealed record AuditStatistics(
    DateTimeOffset Since,
    IReadOnlyList<HourlyCount> PerHour,
    IReadOnlyList<OutcomeCount> PerOutcome,
    IReadOnlyList<AuditEntry> RecentProblems,
    long HeadSequence,
    AuditCheckpoint? LastCheckpoint);

/// <summary>
/// The dashboard's queries over the audit log. Counting happens in the database: the last 24 hours are an
/// index range on <c>timestamp</c>, grouped by the hour prefix of the text timestamp (<c>yyyy-MM-ddTHH</c>,
/// which sorts and groups like the hour itself), so the work does not grow with the size of the log.
/// </summary>
public sealed class DashboardStatisticsService(IDbContextFactory<AdminDbContext> contexts, TimeProvider time)
{
    public const int Hours = 24;
    public const int RecentProblemCount = 10;

    public async Task<AuditStatistics> GetAuditStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var currentHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var since = currentHour.AddHours(1 - Hours);
        var sinceText = AuditHash.FormatTimestamp(since);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var lastDay = db.AuditEntries.AsNoTracking().Where(e => string.Compare(e.Timestamp, sinceText) >= 0);

        var perHourRows = await lastDay.GroupBy(e => e.Timestamp.Substring(0, 13))
            .Select(g => new { Hour = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byHour = perHourRows.ToDictionary(r => r.Hour, r => r.Count, StringComparer.Ordinal);
        var perHour = Enumerable.Range(0, Hours)
            .Select(i => since.AddHours(i))
            .Select(hour => new HourlyCount(hour, byHour.GetValueOrDefault(HourKey(hour))))
            .ToList();

        var perOutcomeRows = await lastDay.GroupBy(e => e.Outcome)
            .Select(g => new { Outcome = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        // In vocabulary order, zeros included, so the chart's colours always mean the same outcome.
        var perOutcome = AuditVocabulary.Outcomes
            .Select(o => new OutcomeCount(o, perOutcomeRows.FirstOrDefault(r => r.Outcome == o)?.Count ?? 0))
            .ToList();

        // Two short index scans (outcome, sequence) instead of one scan that would skip past every success.
        var denied = await LatestAsync(db, AuditVocabulary.Denied, cancellationToken);
        var failed = await LatestAsync(db, AuditVocabulary.Failure, cancellationToken);
        var recent = denied.Concat(failed).OrderByDescending(e => e.Sequence).Take(RecentProblemCount).ToList();

        var head = await db.AuditEntries.MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
        var checkpoint = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Timestamp).ThenByDescending(c => c.Sequence)
            .FirstOrDefaultAsync(cancellationToken);

        return new AuditStatistics(since, perHour, perOutcome, recent, head, checkpoint);
    }

    private static Task<List<AuditEntry>> LatestAsync(AdminDbContext db, string outcome, CancellationToken cancellationToken) =>
        db.AuditEntries.AsNoTracking().Where(e => e.Outcome == outcome).OrderByDescending(e => e.Sequence)
            .Take(RecentProblemCount).ToListAsync(cancellationToken);

    private static string HourKey(DateTimeOffset hour) => hour.UtcDateTime.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture);
}
