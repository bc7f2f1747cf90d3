using System.Collections.Concurrent;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>One product's license as the portal honours it now.</summary>
/// <param name="Row">The installed row, if any (also when its key no longer verifies).</param>
/// <param name="License">The verified license; null when none is installed or <paramref name="Invalid"/>.</param>
/// <param name="Invalid">Why the installed key is not honoured (edited in the database, or its key is no longer trusted).</param>
/// <param name="State">One of <see cref="LicenseStates"/>.</param>
public sealed record ProductLicense(Product Product, InstalledLicense? Row, License? License, LicenseRejection? Invalid, string State, IReadOnlyList<string> Features)
{
    /// <summary>New grants are possible: valid, expiring or in grace.</summary>
    public bool GrantsSeats => License is not null && State is LicenseStates.Valid or LicenseStates.Expiring or LicenseStates.Grace;
}

/// <summary>All products' licenses at one moment, with the licensing clock's reading.</summary>
public sealed record LicenseSnapshot(IReadOnlyList<ProductLicense> Products, LicenseTime Clock)
{
    public ProductLicense For(Product product) => Products.Single(p => p.Product == product);

    /// <summary>The organization of the installed licenses (all are of one), from their verified keys; null when none is installed.</summary>
    public string? OrganizationId => Products.Select(p => p.License?.OrganizationId).FirstOrDefault(o => o is not null);
}

/// <summary>
/// The installed licenses, verified, for everything that asks per request (API, grants, banners). The rows are read and
/// their keys checked at most every <see cref="MaxAge"/> (and at once after a change in this process); the RSA
/// verification itself is cached by <see cref="LicenseVerifier"/>, so it runs once per key, not per refresh.
/// A license installed by the CLI in another process is picked up within <see cref="MaxAge"/>.
/// </summary>
public sealed class LicenseCatalog(IDbContextFactory<AdminDbContext> contexts, LicenseVerifier verifier, LicenseClock clock, AuditWriter audit,
    TimeProvider time, ILogger<LicenseCatalog> logger)
    : ILicenseEntitlements, ILicenseSeats, IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);

    public void Dispose() => _refresh.Dispose();
    private readonly ConcurrentDictionary<(Guid Row, LicenseRejectionReason Reason), bool> _reportedRows = new();
    private volatile Cached? _cached;

    /// <summary>Forget the snapshot: the next reader loads the store again (after an install or removal).</summary>
    public void Invalidate() => _cached = null;

    public async ValueTask<LicenseSnapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_cached is { } fresh && time.GetElapsedTime(fresh.LoadedAt) < MaxAge)
        {
            return fresh.Snapshot;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && time.GetElapsedTime(again.LoadedAt) < MaxAge)
            {
                return again.Snapshot;
            }

            var loadedAt = time.GetTimestamp();
            var snapshot = await LoadAsync(cancellationToken);
            _cached = new Cached(snapshot, loadedAt);
            return snapshot;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public async ValueTask<IReadOnlyList<LicenseEntitlement>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await GetAsync(cancellationToken);
        return [.. snapshot.Products.Select(p => p.License is { } license
            ? new LicenseEntitlement(p.Product, p.State, license.PlanText, p.Features, license.MaxUsers, license.ExpiresAt, license.LicenseId.ToString(), license.SignedByConfiguredKey)
            : LicenseEntitlement.Unlicensed(p.Product))];
    }

    public async ValueTask<bool> IsClockRolledBackAsync(CancellationToken cancellationToken = default) => (await GetAsync(cancellationToken)).Clock.RolledBack;

    public async ValueTask<int?> GetSeatsAsync(Product product, CancellationToken cancellationToken = default)
    {
        var license = (await GetAsync(cancellationToken)).For(product);
        return license.GrantsSeats ? license.License!.MaxUsers : null;
    }

    public async ValueTask<int?> GetSeatsInChangeAsync(AdminDbContext db, Product product, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var row = await db.Licenses.AsNoTracking().Where(l => l.Product == product.Id() && l.RemovedAt == null)
            .OrderByDescending(l => l.InstalledAt).FirstOrDefaultAsync(cancellationToken);
        // Judged at the later of the system clock and the latest time seen (kept by the last snapshot), without the
        // clock's store read and rollback report: those may append to the audit log, and the caller holds its lock.
        var latestSeen = _cached?.Snapshot.Clock.LatestSeen ?? DateTimeOffset.MinValue;
        var now = time.GetUtcNow() > latestSeen ? time.GetUtcNow() : latestSeen;
        var license = Evaluate(product, row, new LicenseTime(now, time.GetUtcNow(), latestSeen, RolledBack: false));
        return license.GrantsSeats ? license.License!.MaxUsers : null;
    }

    public async ValueTask<string?> GetUnavailableReasonAsync(Product product, CancellationToken cancellationToken = default)
    {
        var license = (await GetAsync(cancellationToken)).For(product);
        return license switch
        {
            { GrantsSeats: true } => null,
            { Invalid: { } invalid } => $"The installed {product.DisplayName()} license is not valid ({invalid.Message}), so no seats can be granted; install a new license.",
            { License: { } expired } => $"The {product.DisplayName()} license expired on {expired.ExpiresAt.UtcDateTime:yyyy-MM-dd} and its grace period has ended, so no new seats can be granted; users who have access keep it.",
            _ => null,
        };
    }

    private async Task<LicenseSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var now = await clock.ReadAsync(cancellationToken);
        List<InstalledLicense> rows;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            rows = await db.Licenses.AsNoTracking().Where(l => l.RemovedAt == null).ToListAsync(cancellationToken);
        }

        var snapshot = new LicenseSnapshot([.. Products.All.Select(product => Evaluate(product, rows.Where(r => r.Product == product.Id()).MaxBy(r => r.InstalledAt), now))], now);
        await ReportInvalidAsync(snapshot, cancellationToken);
        return snapshot;
    }

    /// <summary>
    /// An installed key that no longer verifies was changed in the database (or its key is no longer trusted): not
    /// honoured, and reported once per row and reason per process — a log warning and a <c>license.rejected</c> entry.
    /// Never called under the audit chain's lock (the catalog is read before changes take it).
    /// </summary>
    private async Task ReportInvalidAsync(LicenseSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach (var product in snapshot.Products.Where(p => p is { Row: not null, Invalid: not null }))
        {
            var (row, invalid) = (product.Row!, product.Invalid!);
            if (!_reportedRows.TryAdd((row.Id, invalid.Reason), true))
            {
                continue;
            }

            logger.LogWarning("The installed {Product} license {LicenseId} is not honoured: {Reason}", row.Product, row.LicenseId, invalid.Code);
            await audit.AppendAsync(new AuditEvent
            {
                Category = LicenseManagementCore.Category,
                Action = "license.rejected",
                Outcome = AuditVocabulary.Failure,
                TargetType = LicenseManagementCore.TargetType,
                TargetId = row.LicenseId.ToString(),
                Details = AuditDetails.Of(("reason", invalid.Code), ("message", Users.StoredOperator.AuditText(invalid.Message)), ("licenseId", row.LicenseId.ToString()),
                    ("product", row.Product), ("source", "installed license")),
            }, cancellationToken);
        }
    }

    private ProductLicense Evaluate(Product product, InstalledLicense? row, LicenseTime now)
    {
        if (row is null)
        {
            return new ProductLicense(product, null, null, null, LicenseStates.Unlicensed, []);
        }

        // The stored key is what counts; a row whose key does not verify (or is for another product) is not honoured.
        var decoding = verifier.Decode(row.Key);
        if (decoding.License is not { } license || license.Product != product)
        {
            var invalid = decoding.Rejection ?? new LicenseRejection(LicenseRejectionReason.UnknownProduct, "The stored license is for another product.");
            return new ProductLicense(product, row, null, invalid, LicenseStates.Unlicensed, []);
        }

        return new ProductLicense(product, row, license, null, license.StateAt(now.Now), LicenseFeatures.Granted(license));
    }

    /// <param name="LoadedAt">A monotonic timestamp: a wall clock set back must not keep a snapshot for days.</param>
    private sealed record Cached(LicenseSnapshot Snapshot, long LoadedAt);
}
