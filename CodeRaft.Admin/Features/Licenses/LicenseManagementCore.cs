using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Licenses;

public enum LicenseOutcome
{
    Succeeded,
    Unchanged,
    Rejected,
    Denied,
    NotFound,
}

public sealed record LicenseResult(LicenseOutcome Outcome, string Message, LicenseRejection? Rejection = null)
{
    public bool Succeeded => Outcome == LicenseOutcome.Succeeded;
}

/// <summary>What installing a license would change (the console shows it before the Owner confirms).</summary>
/// <param name="Replaces">The product's installed license that this one would replace.</param>
/// <param name="StateAtInstall">The state the license would have now (valid, expiring or grace).</param>
/// <param name="FeaturesNotGranted">Enterprise-only features a standard-plan license lists but does not grant.</param>
/// <param name="SeatsInUse">Users currently granted the product; more than <see cref="License.MaxUsers"/> means no new grants.</param>
public sealed record LicensePreview(
    License License,
    InstalledLicense? Replaces,
    string StateAtInstall,
    IReadOnlyList<string> FeaturesGained,
    IReadOnlyList<string> FeaturesLost,
    IReadOnlyList<string> FeaturesNotGranted,
    int SeatsInUse,
    bool AlreadyInstalled)
{
    public bool OverAllocated => SeatsInUse > License.MaxUsers;
}

/// <summary>A preview, or the reason the key is refused (already audited as <c>license.rejected</c>).</summary>
public sealed record LicenseCheckResult(LicensePreview? Preview, LicenseRejection? Rejection, string? Denial = null)
{
    /// <summary>The payload as far as it could be read: for the CLI's <c>license verify</c> print-out.</summary>
    public LicenseDecoding? Decoding { get; init; }
}

/// <summary>
/// Installing, replacing and removing licenses (docs/licensing.md). NOT for components: the console goes through
/// <see cref="LicenseService"/> (step-up first); the CLI calls this with <see cref="UserOperator.HostCli"/>.
///
/// Every operation runs in ONE <see cref="AuditWriter.ExecuteAsync{T}"/>: the chain lock is taken first, then the
/// operator's CURRENT role is read (Owners only), the key is checked against the installed licenses as they are inside
/// that lock (organization, same product), and the change commits with its audit entry or not at all. Every refused
/// key — on preview, install or the CLI's verify — is audited as <c>license.rejected</c> with the reason and the
/// license id when it can be read; the key itself is never written to the audit log (it is a credential).
/// </summary>
public sealed class LicenseManagementCore(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    LicenseVerifier verifier,
    LicenseCatalog catalog,
    LicenseClock clock,
    TimeProvider time)
{
    public const string Category = "licenses";
    public const string TargetType = "license";
    private const string Refusal = "Only Owners can manage licenses.";

    /// <summary>Checks a key and describes what installing it would change. Changes nothing; a refused key is audited.</summary>
    public Task<LicenseCheckResult> PreviewAsync(UserOperator by, string? key, CancellationToken cancellationToken = default) =>
        PreviewCoreAsync(by, (now, organization) => verifier.Check(key, now, organization), cancellationToken);

    /// <summary>The same for a license file's bytes (the CLI): a file that is not UTF-8 text or too large is refused
    /// by <see cref="LicenseVerifier.Decode(ReadOnlySpan{byte})"/> and audited like any other refused key.</summary>
    public Task<LicenseCheckResult> PreviewFileAsync(UserOperator by, ReadOnlyMemory<byte> file, CancellationToken cancellationToken = default) =>
        PreviewCoreAsync(by, (now, organization) => verifier.Check(file.Span, now, organization), cancellationToken);

    private async Task<LicenseCheckResult> PreviewCoreAsync(UserOperator by, Func<DateTimeOffset, string?, LicenseDecoding> check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(by);
        var now = await clock.ReadAsync(cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await audit.ExecuteAsync<LicenseCheckResult>(db, async ct =>
        {
            var actor = await OperatorAsync(db, by, ct);
            if (actor.Denial is { } denial)
            {
                return (new LicenseCheckResult(null, null, denial), [Denied("license.previewed", actor, denial)]);
            }

            var (result, rejectedEvent) = await CheckAsync(db, check, now, actor, ct);
            return rejectedEvent is not null ? (result, [rejectedEvent]) : (result, []);
        }, cancellationToken);
    }

    /// <summary>Installs the key, replacing the product's installed license (kept in the history).</summary>
    public Task<LicenseResult> InstallAsync(UserOperator by, string? key, CancellationToken cancellationToken = default) =>
        InstallCoreAsync(by, (now, organization) => verifier.Check(key, now, organization), cancellationToken);

    /// <summary>The same for a license file's bytes (the CLI), with the file rules of <see cref="LicenseVerifier.Decode(ReadOnlySpan{byte})"/>.</summary>
    public Task<LicenseResult> InstallFileAsync(UserOperator by, ReadOnlyMemory<byte> file, CancellationToken cancellationToken = default) =>
        InstallCoreAsync(by, (now, organization) => verifier.Check(file.Span, now, organization), cancellationToken);

    private async Task<LicenseResult> InstallCoreAsync(UserOperator by, Func<DateTimeOffset, string?, LicenseDecoding> checkKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(by);
        var now = await clock.ReadAsync(cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<LicenseResult>(db, async ct =>
        {
            var actor = await OperatorAsync(db, by, ct);
            if (actor.Denial is { } denial)
            {
                return (new LicenseResult(LicenseOutcome.Denied, denial), [Denied("license.installed", actor, denial)]);
            }

            var (check, rejected) = await CheckAsync(db, checkKey, now, actor, ct);
            if (rejected is not null)
            {
                return (new LicenseResult(LicenseOutcome.Rejected, check.Rejection!.Message, check.Rejection), [rejected]);
            }

            var preview = check.Preview!;
            var license = preview.License;
            if (preview.AlreadyInstalled)
            {
                return (new LicenseResult(LicenseOutcome.Unchanged, $"This {license.Product.DisplayName()} license is already installed."), []);
            }

            var at = time.GetUtcNow().UtcDateTime;
            if (preview.Replaces is { } previous)
            {
                var replaced = await db.Licenses.SingleAsync(l => l.Id == previous.Id, ct);
                replaced.RemovedAt = at;
                replaced.RemovedBy = actor.Id;
                replaced.RemovedHow = "replaced";
            }

            var row = InstalledLicense.From(license, at, actor.Id);
            db.Licenses.Add(row);
            await db.SaveChangesAsync(ct);
            var details = Describe(license);
            details["state"] = preview.StateAtInstall;
            details["seatsInUse"] = preview.SeatsInUse;
            details["replaces"] = preview.Replaces?.LicenseId.ToString();
            details["featuresGained"] = Array(preview.FeaturesGained);
            details["featuresLost"] = Array(preview.FeaturesLost);
            details["featuresNotGranted"] = Array(preview.FeaturesNotGranted);
            var message = $"Installed the {license.Product.DisplayName()} license for {license.OrganizationName}: {license.MaxUsers} seats ({preview.SeatsInUse} in use), expires {license.ExpiresAt.UtcDateTime:yyyy-MM-dd}.";
            return (new LicenseResult(LicenseOutcome.Succeeded, message), [Event("license.installed", actor, AuditVocabulary.Success, license.LicenseId.ToString(), details)]);
        }, cancellationToken);
        catalog.Invalidate();
        return result;
    }

    /// <summary>Removes the product's installed license (kept in the history). Users keep their access; no new grants.</summary>
    /// <param name="expectedLicenseId">The license the operator saw (the console passes it): if another one is installed
    /// by now — replaced in another tab or by the CLI — nothing is removed.</param>
    public async Task<LicenseResult> RemoveAsync(UserOperator by, Product product, Guid? expectedLicenseId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<LicenseResult>(db, async ct =>
        {
            var actor = await OperatorAsync(db, by, ct);
            if (actor.Denial is { } denial)
            {
                return (new LicenseResult(LicenseOutcome.Denied, denial), [Denied("license.removed", actor, denial)]);
            }

            var row = await db.Licenses.Where(l => l.Product == product.Id() && l.RemovedAt == null).OrderByDescending(l => l.InstalledAt).FirstOrDefaultAsync(ct);
            if (row is null)
            {
                return (new LicenseResult(LicenseOutcome.NotFound, $"No {product.DisplayName()} license is installed."), []);
            }

            if (expectedLicenseId is { } expected && row.LicenseId != expected)
            {
                return (new LicenseResult(LicenseOutcome.NotFound, $"The {product.DisplayName()} license was replaced since you looked; nothing was removed. Check the page again."), []);
            }

            row.RemovedAt = time.GetUtcNow().UtcDateTime;
            row.RemovedBy = actor.Id;
            row.RemovedHow = "removed";
            await db.SaveChangesAsync(ct);
            var inUse = await db.ProductAccess.CountAsync(a => a.Product == product, ct);
            var details = AuditDetails.Of(("licenseId", row.LicenseId.ToString()), ("product", row.Product), ("organizationId", row.OrganizationId),
                ("seatsInUse", inUse), ("effect", "users keep their access; new grants are refused until a license is installed"));
            return (new LicenseResult(LicenseOutcome.Succeeded, $"Removed the {product.DisplayName()} license. The {inUse} users who have access keep it; new grants need a license."),
                [Event("license.removed", actor, AuditVocabulary.Success, row.LicenseId.ToString(), details)]);
        }, cancellationToken);
        catalog.Invalidate();
        return result;
    }

    /// <summary>The history: every license ever installed, newest first.</summary>
    public async Task<IReadOnlyList<InstalledLicense>> HistoryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Licenses.AsNoTracking().ToListAsync(cancellationToken)).OrderByDescending(l => l.InstalledAt).ThenByDescending(l => l.Id).ToList();
    }

    /// <summary>Users granted each product now (seats in use), for the console's product cards.</summary>
    public async Task<IReadOnlyDictionary<Product, int>> SeatsInUseAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var seats = new Dictionary<Product, int>();
        foreach (var product in Products.All)
        {
            seats[product] = await db.ProductAccess.CountAsync(a => a.Product == product, cancellationToken);
        }

        return seats;
    }

    /// <summary>Display names for the history's installed/removed-by ids (user ids; anything else, e.g. the CLI, as is).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ActorNamesAsync(IEnumerable<string?> ids, CancellationToken cancellationToken = default)
    {
        var userIds = ids.Select(id => Guid.TryParse(id, out var g) ? g : (Guid?)null).OfType<Guid>().Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName, u.Email }).ToListAsync(cancellationToken);
        return users.ToDictionary(u => u.Id.ToString(), u => string.IsNullOrEmpty(u.DisplayName) ? u.Email ?? u.Id.ToString() : u.DisplayName, StringComparer.OrdinalIgnoreCase);
    }

    public async Task<bool> MayManageAsync(UserOperator by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await OperatorAsync(db, by, cancellationToken)).Denial is null;
    }

    /// <summary>Checks against the installed licenses as they are inside the chain lock. Returns the rejection event to write, if refused.</summary>
    private async Task<(LicenseCheckResult Check, AuditEvent? Rejected)> CheckAsync(AdminDbContext db, Func<DateTimeOffset, string?, LicenseDecoding> check,
        LicenseTime now, StoredOperator actor, CancellationToken ct)
    {
        var installed = await db.Licenses.AsNoTracking().Where(l => l.RemovedAt == null).ToListAsync(ct);
        // From the verified keys, not the readable column: a row edited in the database does not decide this.
        var organization = installed.Select(l => verifier.Decode(l.Key).License?.OrganizationId).FirstOrDefault(o => o is not null);
        var decoding = check(now.Now, organization);
        if (decoding.License is not { } license)
        {
            var rejection = decoding.Rejection!;
            // The message may quote the payload's organization name: cleaned like every name the audit log carries.
            var details = AuditDetails.Of(("reason", rejection.Code), ("message", StoredOperator.AuditText(rejection.Message)),
                ("licenseId", decoding.ClaimedLicenseId?.ToString()), ("product", decoding.ClaimedProduct));
            return (new LicenseCheckResult(null, rejection) { Decoding = decoding },
                Event("license.rejected", actor, AuditVocabulary.Failure, decoding.ClaimedLicenseId?.ToString() ?? "", details));
        }

        var previous = installed.Where(l => l.Product == license.Product.Id()).MaxBy(l => l.InstalledAt);
        var previousLicense = previous is null ? null : verifier.Decode(previous.Key).License;
        var before = previousLicense is null ? [] : LicenseFeatures.Granted(previousLicense);
        var after = LicenseFeatures.Granted(license);
        var inUse = await db.ProductAccess.CountAsync(a => a.Product == license.Product, ct);
        var preview = new LicensePreview(license, previous, license.StateAt(now.Now),
            [.. after.Except(before, StringComparer.Ordinal)], [.. before.Except(after, StringComparer.Ordinal)], LicenseFeatures.Gated(license),
            inUse, previous is not null && previous.LicenseId == license.LicenseId && previous.Key == license.Key);
        return (new LicenseCheckResult(preview, null) { Decoding = decoding }, null);
    }

    /// <summary><see cref="LicenseVerifier.Check"/> for a file's bytes: the file rules, then the same time and organization rules.</summary>
    private static Task<StoredOperator> OperatorAsync(AdminDbContext db, UserOperator by, CancellationToken ct) =>
        StoredOperator.LoadAsync(db, by, AdminPermission.ManageLicenses, Refusal, ct);

    private static JsonObject Describe(License license) => AuditDetails.Of(
        ("licenseId", license.LicenseId.ToString()),
        ("product", license.Product.Id()),
        ("organizationId", license.OrganizationId),
        ("organizationName", StoredOperator.AuditText(license.OrganizationName)),
        ("plan", license.PlanText),
        ("features", Array(license.Features)),
        ("maxUsers", license.MaxUsers),
        ("issuedAt", license.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
        ("expiresAt", license.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
        ("keyFingerprint", license.KeyFingerprint));

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static AuditEvent Denied(string action, StoredOperator actor, string denial) =>
        Event(action, actor, AuditVocabulary.Denied, "", AuditDetails.Of(("reason", denial)));

    private static AuditEvent Event(string action, StoredOperator actor, string outcome, string targetId, JsonObject details) => new()
    {
        Category = Category,
        Action = action,
        Outcome = outcome,
        Actor = actor.Audit,
        TargetType = TargetType,
        TargetId = targetId,
        Details = details,
    };
}
