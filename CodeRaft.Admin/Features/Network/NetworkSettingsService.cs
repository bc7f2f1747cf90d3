using System.Net;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.Authorization;
using CodeRaft.Admin.Security.Network;
using CodeRaft.Admin.Security.StepUp;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Network;

/// <summary>What saving a list would mean for the person saving it (pure; shown before Save and checked again on Save).</summary>
public sealed record LockoutPreview(bool ListIsValid, bool AllowsEveryone, bool ExcludesYou, string? MatchedBy)
{
    /// <param name="entries">The list as edited (invalid rows are ignored: the validator reports them).</param>
    /// <param name="you">The editor's address as the portal sees it; null when unknown (then it cannot be excluded knowingly).</param>
    public static LockoutPreview For(IReadOnlyList<AllowlistEntryInput> entries, IPAddress? you)
    {
        var valid = new AllowlistInputValidator().Validate(entries).IsValid;
        var networks = entries.Select(e => CidrText.TryParse(e.Cidr, out var n, out _) ? n : (IPNetwork?)null).OfType<IPNetwork>().ToList();
        if (networks.Count == 0)
        {
            return new LockoutPreview(valid, AllowsEveryone: true, ExcludesYou: false, MatchedBy: null);
        }

        string? match = null;
        foreach (var network in networks)
        {
            if (you is not null && IpRangeSet.Create([network]).Contains(you))
            {
                match = network.ToString();
                break;
            }
        }

        return new LockoutPreview(valid, AllowsEveryone: false, ExcludesYou: match is null, MatchedBy: match);
    }
}

/// <summary>
/// Settings → Security → Network (Owners and Administrators). Reading the lists needs the permission; saving one is
/// privileged: guard (role per the store, step-up "network.allowlist", validation, the typed confirmation when the
/// console list would exclude the editor's own address) → persist with audit (<see cref="NetworkAllowlistCore"/>)
/// → in force at once for new requests and open circuits.
/// </summary>
public sealed class NetworkSettingsService(
    IDbContextFactory<AdminDbContext> contexts,
    NetworkAllowlistCore core,
    AuditWriter audit,
    AuthenticationStateProvider authentication,
    StepUpService stepUp)
{
    public const string Operation = "network.allowlist";

    public Task<IReadOnlyList<AllowlistEntry>> ListAsync(CancellationToken cancellationToken = default) => core.ListAsync(cancellationToken);

    /// <param name="confirmation">When the console list would exclude <paramref name="you"/>: that address, typed.</param>
    public async Task<NetworkResult> SaveAsync(AllowlistScope scope, IReadOnlyList<AllowlistEntryInput> entries, IPAddress? you, string? confirmation,
        StepUpTicket? ticket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var principal = (await authentication.GetAuthenticationStateAsync()).User;
        if (AdminClaims.UserId(principal) is not { } userId)
        {
            return new NetworkResult(NetworkOutcome.Invalid, "Sign in first.");
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // The role as the store has it now, not as the session cookie remembers it.
            var role = await db.Users.AsNoTracking().Where(u => u.Id == userId && u.Status == AdminUserStatus.Active)
                .Select(u => (AdminRole?)u.Role).SingleOrDefaultAsync(cancellationToken);
            if (role is not { } current || !AdminPermissions.Allows(current, AdminPermission.ManageNetwork))
            {
                await audit.AppendAsync(new AuditEvent
                {
                    Category = "network",
                    Action = "network.allowlist_changed",
                    Outcome = AuditVocabulary.Denied,
                    Actor = AuditActor.User(userId.ToString(), principal.Identity?.Name ?? ""),
                    TargetType = "allowlist",
                    TargetId = scope.ToText(),
                    Details = AuditDetails.Of(("reason", "only Owners and Administrators change the allowlists")),
                }, cancellationToken);
                return new NetworkResult(NetworkOutcome.Invalid, "Only Owners and Administrators can change the allowlists.");
            }
        }

        await stepUp.DemandAsync(ticket, Operation, cancellationToken);
        var preview = LockoutPreview.For(entries, you);
        if (scope == AllowlistScope.Ui && preview.ListIsValid && preview.ExcludesYou && !ConfirmsLockout(confirmation, you))
        {
            return new NetworkResult(NetworkOutcome.Invalid, you is null
                ? "Your address is not known, so this list may lock you out. Type LOCK ME OUT to save it anyway."
                : $"This list does not include your address {you}: saving it ends your session. Type {you} to confirm.");
        }

        return await core.ReplaceAsync(UserOperator.ConsoleUser(userId), scope, entries, cancellationToken);
    }

    /// <summary>The editor types their own address (or, when it is unknown, the phrase LOCK ME OUT).</summary>
    public static bool ConfirmsLockout(string? confirmation, IPAddress? you)
    {
        var typed = confirmation?.Trim() ?? "";
        return you is null
            ? string.Equals(typed, "LOCK ME OUT", StringComparison.Ordinal)
            : IPAddress.TryParse(typed, out var address) && ClientConnection.Normalize(address).Equals(you);
    }
}
