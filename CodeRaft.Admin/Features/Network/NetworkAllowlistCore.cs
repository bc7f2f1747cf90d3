using System.Globalization;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Network;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Network;

/// <summary>
/// Changing the IP allowlists (docs/network.md). NOT for components: the console's service demands a step-up
/// first; the CLI (the break-glass path) calls this with <see cref="UserOperator.HostCli"/>.
///
/// Every change runs in ONE <see cref="AuditWriter.ExecuteAsync{T}"/>: the rows, the list version and the audit
/// entry (before and after) commit together or not at all. The version lets every portal process notice a change
/// made elsewhere (another instance, the CLI) within <see cref="NetworkAllowlist.PollInterval"/>; this process
/// reloads at once.
/// </summary>
public sealed class NetworkAllowlistCore(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    NetworkAllowlist allowlist,
    TimeProvider time)
{
    private static readonly AllowlistEntryInputValidator EntryValidator = new();
    private static readonly AllowlistInputValidator ListValidator = new();

    public async Task<IReadOnlyList<AllowlistEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.NetworkAllowlist.AsNoTracking().ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.Scope).ThenBy(r => r.CreatedAt).ThenBy(r => r.Cidr, StringComparer.Ordinal)];
    }

    public async Task<NetworkResult> AddAsync(UserOperator by, AllowlistScope scope, AllowlistEntryInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(input);
        var validation = await EntryValidator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            return new NetworkResult(NetworkOutcome.Invalid, validation.Errors[0].ErrorMessage);
        }

        var cidr = CidrText.Normalize(input.Cidr);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<NetworkResult>(db, async ct =>
        {
            var existing = await db.NetworkAllowlist.Where(e => e.Scope == scope).ToListAsync(ct);
            if (existing.Any(e => e.Cidr == cidr))
            {
                return (new NetworkResult(NetworkOutcome.Unchanged, $"{cidr} is already in the {scope.ToText()} list; nothing was changed."), []);
            }

            if (existing.Count >= AllowlistInputValidator.MaxEntries)
            {
                return (new NetworkResult(NetworkOutcome.Invalid, $"The {scope.ToText()} list already holds {AllowlistInputValidator.MaxEntries:N0} entries."), []);
            }

            var row = NewRow(by, scope, cidr, input.Description);
            db.NetworkAllowlist.Add(row);
            await BumpVersionAsync(db, by, ct);
            await db.SaveChangesAsync(ct);
            return (new NetworkResult(NetworkOutcome.Succeeded, $"Added {cidr} to the {scope.ToText()} allowlist (id {row.Id})."),
                [Event("network.allowlist_entry_added", by, scope, AuditDetails.Of(
                    ("id", row.Id.ToString()), ("scope", scope.ToText()), ("cidr", cidr), ("description", row.Description),
                    ("entriesBefore", existing.Count), ("entriesAfter", existing.Count + 1)))]);
        }, cancellationToken);
        return await ReloadAfterAsync(result, cancellationToken);
    }

    public async Task<NetworkResult> RemoveAsync(UserOperator by, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<NetworkResult>(db, async ct =>
        {
            var row = await db.NetworkAllowlist.SingleOrDefaultAsync(e => e.Id == id, ct);
            if (row is null)
            {
                return (new NetworkResult(NetworkOutcome.NotFound, "No allowlist entry has this id."), []);
            }

            var remaining = await db.NetworkAllowlist.CountAsync(e => e.Scope == row.Scope, ct) - 1;
            db.NetworkAllowlist.Remove(row);
            await BumpVersionAsync(db, by, ct);
            await db.SaveChangesAsync(ct);
            var note = remaining == 0 ? $" The {row.Scope.ToText()} list is now empty, so every address is allowed." : "";
            return (new NetworkResult(NetworkOutcome.Succeeded, $"Removed {row.Cidr} from the {row.Scope.ToText()} allowlist.{note}"),
                [Event("network.allowlist_entry_removed", by, row.Scope, AuditDetails.Of(
                    ("id", row.Id.ToString()), ("scope", row.Scope.ToText()), ("cidr", row.Cidr), ("entriesAfter", remaining)))]);
        }, cancellationToken);
        return await ReloadAfterAsync(result, cancellationToken);
    }

    /// <summary>Replaces one list as a whole (the Network page's Save); the audit entry holds the list before and after.</summary>
    public async Task<NetworkResult> ReplaceAsync(UserOperator by, AllowlistScope scope, IReadOnlyList<AllowlistEntryInput> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(entries);
        var validation = await ListValidator.ValidateAsync(entries, cancellationToken);
        if (!validation.IsValid)
        {
            return new NetworkResult(NetworkOutcome.Invalid, validation.Errors[0].ErrorMessage);
        }

        var wanted = entries.Select(e => (Cidr: CidrText.Normalize(e.Cidr), Description: (e.Description ?? "").Trim())).ToList();

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<NetworkResult>(db, async ct =>
        {
            var existing = await db.NetworkAllowlist.Where(e => e.Scope == scope).ToListAsync(ct);
            var before = existing.OrderBy(e => e.CreatedAt).Select(e => (e.Cidr, e.Description)).ToList();
            if (before.SequenceEqual(wanted))
            {
                return (new NetworkResult(NetworkOutcome.Unchanged, $"The {scope.ToText()} list is unchanged."), []);
            }

            // Keep rows that stay (their id and creation time); update descriptions; add and remove the rest.
            var byCidr = existing.ToDictionary(e => e.Cidr, StringComparer.Ordinal);
            foreach (var (cidr, description) in wanted)
            {
                if (byCidr.Remove(cidr, out var kept))
                {
                    kept.Description = description;
                }
                else
                {
                    db.NetworkAllowlist.Add(NewRow(by, scope, cidr, description));
                }
            }

            db.NetworkAllowlist.RemoveRange(byCidr.Values);
            await BumpVersionAsync(db, by, ct);
            await db.SaveChangesAsync(ct);
            var empty = wanted.Count == 0 ? " The list is empty, so every address is allowed." : "";
            return (new NetworkResult(NetworkOutcome.Succeeded,
                    string.Create(CultureInfo.InvariantCulture, $"Saved the {scope.ToText()} allowlist ({wanted.Count} entries).{empty}")),
                [Event("network.allowlist_changed", by, scope, AuditDetails.Of(
                    ("scope", scope.ToText()), ("before", Cidrs(before.Select(b => b.Cidr))), ("after", Cidrs(wanted.Select(w => w.Cidr)))))]);
        }, cancellationToken);
        return await ReloadAfterAsync(result, cancellationToken);
    }

    /// <summary>Break-glass (<c>network allowlist reset</c>): both lists emptied, every address allowed again.</summary>
    public async Task<NetworkResult> ResetAsync(UserOperator by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<NetworkResult>(db, async ct =>
        {
            var rows = await db.NetworkAllowlist.ToListAsync(ct);
            if (rows.Count == 0)
            {
                return (new NetworkResult(NetworkOutcome.Unchanged, "Both allowlists are already empty; nothing was changed."), []);
            }

            db.NetworkAllowlist.RemoveRange(rows);
            await BumpVersionAsync(db, by, ct);
            await db.SaveChangesAsync(ct);
            return (new NetworkResult(NetworkOutcome.Succeeded,
                    string.Create(CultureInfo.InvariantCulture, $"Cleared both allowlists ({rows.Count} entries); every address is allowed until new entries are added.")),
                [Event("network.allowlist_reset", by, null, AuditDetails.Of(
                    ("ui", Cidrs(rows.Where(r => r.Scope == AllowlistScope.Ui).Select(r => r.Cidr))),
                    ("api", Cidrs(rows.Where(r => r.Scope == AllowlistScope.Api).Select(r => r.Cidr)))))]);
        }, cancellationToken);
        return await ReloadAfterAsync(result, cancellationToken);
    }

    private async Task<NetworkResult> ReloadAfterAsync(NetworkResult result, CancellationToken cancellationToken)
    {
        if (result.Succeeded)
        {
            await allowlist.RefreshAsync(cancellationToken);
        }

        return result;
    }

    private AllowlistEntry NewRow(UserOperator by, AllowlistScope scope, string cidr, string? description) => new()
    {
        Id = Guid.CreateVersion7(),
        Scope = scope,
        Cidr = cidr,
        Description = (description ?? "").Trim(),
        CreatedAt = time.GetUtcNow().UtcDateTime,
        CreatedBy = ActorId(by),
    };

    /// <summary>Inside the change's transaction, so the version moves exactly when the lists do.</summary>
    private async Task BumpVersionAsync(AdminDbContext db, UserOperator by, CancellationToken cancellationToken)
    {
        var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == NetworkAllowlist.VersionKey, cancellationToken);
        if (row is null)
        {
            db.Settings.Add(row = new PortalSetting { Key = NetworkAllowlist.VersionKey, Value = "0" });
        }

        row.Value = (long.Parse(row.Value, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        row.UpdatedBy = ActorId(by);
    }

    private static string[] Cidrs(IEnumerable<string> cidrs) => [.. cidrs];

    private static string ActorId(UserOperator by) => by.IsHostCli ? "cli" : by.UserId!.Value.ToString();

    private static AuditEvent Event(string action, UserOperator by, AllowlistScope? scope, JsonObject details) => new()
    {
        Category = "network",
        Action = action,
        Actor = by.IsHostCli ? AuditActor.Cli : AuditActor.User(by.UserId!.Value.ToString(), ""),
        TargetType = "allowlist",
        TargetId = scope?.ToText() ?? "ui,api",
        Details = details,
    };
}

public enum NetworkOutcome
{
    Succeeded,
    Unchanged,
    Invalid,
    NotFound,
}

public sealed record NetworkResult(NetworkOutcome Outcome, string Message)
{
    public bool Succeeded => Outcome == NetworkOutcome.Succeeded;
}
