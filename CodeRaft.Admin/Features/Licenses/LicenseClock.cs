using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>What the licensing clock says: the time licenses are judged at, and whether the system clock went back.</summary>
/// <param name="Now">The later of the system clock and the latest time seen: a clock set back never extends a license.</param>
/// <param name="LatestSeen">The latest time this portal has seen (stored, and the audit chain's newest entry).</param>
/// <param name="RolledBack">The system clock is more than <see cref="LicenseClock.RollbackTolerance"/> behind <paramref name="LatestSeen"/>.</param>
public sealed record LicenseTime(DateTimeOffset Now, DateTimeOffset SystemNow, DateTimeOffset LatestSeen, bool RolledBack);

/// <summary>
/// Clock-rollback defence (docs/licensing.md, "Clock"). The latest time seen is the later of a stored watermark
/// (settings row <see cref="SettingKey"/>, moved forward at most every <see cref="WriteInterval"/>) and the latest
/// timestamp in the audit chain — the chain is tamper-evident (an entry cannot be removed without `audit verify`
/// reporting it), so deleting the watermark row does not reset it. Licenses are always judged at the later of that and the system clock;
/// a system clock more than 24 hours behind is reported (banner, API state, one audit entry per episode).
/// </summary>
public sealed class LicenseClock(IDbContextFactory<AdminDbContext> contexts, AuditWriter audit, TimeProvider time, ILogger<LicenseClock> logger) : IDisposable
{
    public const string SettingKey = "licensing.clock.latest-seen";
    public static readonly TimeSpan RollbackTolerance = TimeSpan.FromHours(24);
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();
    private DateTimeOffset _latestSeen = DateTimeOffset.MinValue;
    private DateTimeOffset _stored = DateTimeOffset.MinValue;
    private bool _rollbackReported;

    /// <summary>Reads the stored watermark and the audit head, moves the watermark forward, reports a rollback once.</summary>
    public async Task<LicenseTime> ReadAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var system = time.GetUtcNow();
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var stored = await db.Settings.AsNoTracking().Where(s => s.Key == SettingKey).Select(s => s.Value).SingleOrDefaultAsync(cancellationToken);
            // The LATEST timestamp in the chain, not the newest entry's: entries written while the clock is set back
            // (the rollback report itself) carry earlier times. One step down the timestamp index.
            var latestEntry = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Timestamp).Select(e => e.Timestamp).FirstOrDefaultAsync(cancellationToken);
            _stored = Later(_stored, Parse(stored));
            _latestSeen = Later(Later(_latestSeen, _stored), Parse(latestEntry));

            var rolledBack = system < _latestSeen - RollbackTolerance;
            if (!rolledBack && system > _latestSeen)
            {
                _latestSeen = system;
            }

            if (!rolledBack && _latestSeen - _stored >= WriteInterval)
            {
                await StoreAsync(db, _latestSeen, cancellationToken);
                _stored = _latestSeen;
            }

            await ReportAsync(rolledBack, system, cancellationToken);
            return new LicenseTime(Later(system, _latestSeen), system, _latestSeen, rolledBack);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task StoreAsync(AdminDbContext db, DateTimeOffset latest, CancellationToken cancellationToken)
    {
        var text = latest.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == SettingKey, cancellationToken);
        if (row is null)
        {
            db.Settings.Add(new PortalSetting { Key = SettingKey, Value = text, UpdatedAt = latest.UtcDateTime, UpdatedBy = "system" });
        }
        else
        {
            row.Value = text;
            row.UpdatedAt = latest.UtcDateTime;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another process wrote it at the same moment; the audit head keeps the watermark meanwhile.
        }
    }

    private async Task ReportAsync(bool rolledBack, DateTimeOffset system, CancellationToken cancellationToken)
    {
        if (rolledBack == _rollbackReported)
        {
            return;
        }

        _rollbackReported = rolledBack;
        if (!rolledBack)
        {
            logger.LogInformation("The system clock is no longer behind the latest time seen; licenses are judged at the system clock again.");
            return;
        }

        logger.LogWarning("The system clock ({System:O}) is more than 24 hours behind the latest time seen ({Latest:O}); licenses are judged at the latest time seen.",
            system, _latestSeen);
        await audit.AppendAsync(new AuditEvent
        {
            Category = LicenseManagementCore.Category,
            Action = "license.clock_rollback",
            Outcome = AuditVocabulary.Failure,
            Details = AuditDetails.Of(("systemClock", Text(system)), ("latestSeen", Text(_latestSeen)),
                ("effect", "licenses are judged at the latest time seen; the rollback never extends a license")),
        }, cancellationToken);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Parse(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value) ? value : DateTimeOffset.MinValue;

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
