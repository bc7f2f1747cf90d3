using System.Collections.Frozen;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Users;

public enum ActivationOutcome
{
    /// <summary>The link can be used: show the form.</summary>
    Ready,
    Activated,

    /// <summary>The link is fine, the password is not: the form is shown again, the link still works.</summary>
    InvalidPassword,
    UnknownLink,
    UsedLink,
    ExpiredLink,

    /// <summary>The account was disabled or removed since the invitation, or the portal does not use local accounts.</summary>
    NotAvailable,
}

/// <summary>What the activation page shows: <see cref="Message"/> for a person; <see cref="Email"/> only for a valid link.</summary>
public sealed record ActivationResult(ActivationOutcome Outcome, string Message, Guid? UserId = null, string? Email = null)
{
    public IReadOnlyList<string> Errors { get; init; } = [];

    public bool Succeeded => Outcome == ActivationOutcome.Activated;

    /// <summary>The link may be used (again): valid, or only the password was refused.</summary>
    public bool LinkUsable => Outcome is ActivationOutcome.Ready or ActivationOutcome.InvalidPassword;
}

/// <summary>
/// Local mode: the invitee opens the one-time link, sets a password and becomes Active (docs/users.md, "Invitations").
///
///   /account/activate?token=T   → <see cref="CheckAsync"/>: unknown / used / expired → a message; else the form
///   POST /account/activate/submit → <see cref="ActivateAsync"/>: password policy → in one audited transaction the
///       link is marked used by a conditional UPDATE (of two concurrent submissions one wins), the user becomes
///       Active with the password → the endpoint signs in with the first factor → /account (TOTP enrollment)
///
/// The link is found by the SHA-256 of the token, never compared in application code; the token is never stored,
/// logged or audited.
/// </summary>
public sealed class InvitationActivationService(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    PasswordPolicy passwordPolicy,
    IConfiguration configuration,
    TimeProvider time)
{
    public const string UnknownMessage = "This activation link is not valid. Check that you opened the whole link, or ask an administrator for a new invitation.";
    public const string UsedMessage = "This activation link was already used. Sign in with your e-mail address and password.";
    public const string ExpiredMessage = "This activation link has expired. Ask an administrator to invite you again.";
    public const string NotAvailableMessage = "This invitation is no longer valid. Ask an administrator.";
    public const string MismatchMessage = "The two passwords are not the same.";
    public const string ExternalMessage = "This portal signs in through your organization's identity provider: no activation is needed.";

    /// <summary>
    /// The messages the activation page may show, by the short code the redirect carries (<c>?error=short,common</c>):
    /// the page never displays text taken from its address, so a crafted link cannot put words on our page.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> PageMessages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["unknown"] = UnknownMessage,
        ["used"] = UsedMessage,
        ["expired"] = ExpiredMessage,
        ["unavailable"] = NotAvailableMessage,
        ["external"] = ExternalMessage,
        ["mismatch"] = MismatchMessage,
        ["empty"] = PasswordPolicy.EmptyMessage,
        ["short"] = PasswordPolicy.TooShortMessage,
        ["long"] = PasswordPolicy.TooLongMessage,
        ["common"] = PasswordPolicy.CommonMessage,
        ["email"] = PasswordPolicy.EmailMessage,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The codes of <paramref name="messages"/> for the page's address, e.g. <c>short,common</c>.</summary>
    public static string ErrorCodes(IEnumerable<string> messages) =>
        string.Join(',', messages.Select(m => PageMessages.FirstOrDefault(p => p.Value == m).Key ?? "unknown").Distinct(StringComparer.Ordinal));

    /// <summary>The known messages for the codes in the page's address; anything else is ignored.</summary>
    public static IReadOnlyList<string> MessagesFor(string? codes) =>
        [.. (codes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)
            .Select(code => PageMessages.TryGetValue(code, out var message) ? message : null).OfType<string>()];

    private static readonly PasswordHasher<AdminUser> Hasher = new();

    /// <summary>Whether the link can be used, without changing anything (the page's first view).</summary>
    public async Task<ActivationResult> CheckAsync(string? token, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (result, _) = await FindAsync(db, token, cancellationToken);
        return result;
    }

    public async Task<ActivationResult> ActivateAsync(string? token, string? password, string? confirmPassword, string sourceIp, CancellationToken cancellationToken = default)
    {
        sourceIp = sourceIp.Length <= 64 && !sourceIp.Any(char.IsControl) ? sourceIp : "";
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (found, invitation) = await FindAsync(db, token, cancellationToken);
        if (!found.LinkUsable)
        {
            // A refused link is worth a trace (someone guessing, or a link used twice); the token itself never is.
            await audit.AppendAsync(Refused(found.Outcome, invitation?.UserId, sourceIp), cancellationToken);
            return found;
        }

        var errors = passwordPolicy.Check(password, found.Email).ToList();
        if (errors.Count == 0 && !string.Equals(password, confirmPassword, StringComparison.Ordinal))
        {
            errors.Add(MismatchMessage);
        }

        if (errors.Count > 0)
        {
            return found with { Outcome = ActivationOutcome.InvalidPassword, Message = string.Join(" ", errors), Errors = errors };
        }

        // Hashing is deliberately slow (PBKDF2): before the transaction, not while holding the chain lock.
        var passwordHash = Hasher.HashPassword(new AdminUser(), password!);
        var now = time.GetUtcNow().UtcDateTime;
        return await audit.ExecuteAsync<ActivationResult>(db, async ct =>
        {
            // Inside the chain lock nothing else changes the link or the user; the conditional UPDATE below would
            // still let only one of two submissions through if it did.
            if (await db.UserInvitations.AnyAsync(i => i.Id == invitation!.Id && i.UsedAt != null, ct))
            {
                return (new ActivationResult(ActivationOutcome.UsedLink, UsedMessage), [Refused(ActivationOutcome.UsedLink, invitation!.UserId, sourceIp)]);
            }

            var user = await db.Users.SingleOrDefaultAsync(u => u.Id == invitation!.UserId, ct);
            if (user is not { Status: AdminUserStatus.Invited })
            {
                return (new ActivationResult(ActivationOutcome.NotAvailable, NotAvailableMessage), [Refused(ActivationOutcome.NotAvailable, invitation!.UserId, sourceIp)]);
            }

            // The link dies here: of two concurrent submissions only one finds it unused (and still unexpired).
            var claimed = await db.UserInvitations.Where(i => i.Id == invitation!.Id && i.UsedAt == null && i.ExpiresAt > now)
                .ExecuteUpdateAsync(i => i.SetProperty(x => x.UsedAt, now), ct);
            if (claimed != 1)
            {
                return (new ActivationResult(ActivationOutcome.UsedLink, UsedMessage), [Refused(ActivationOutcome.UsedLink, invitation!.UserId, sourceIp)]);
            }

            user.PasswordHash = passwordHash;
            user.Status = AdminUserStatus.Active;
            user.SecurityStamp = Guid.NewGuid().ToString("N");
            user.ConcurrencyStamp = Guid.NewGuid().ToString();
            return (new ActivationResult(ActivationOutcome.Activated, "Your account is active. Now set up two-factor authentication.", user.Id, user.Email),
            [
                new AuditEvent
                {
                    Category = "users",
                    Action = "user.activated",
                    Actor = AuditActor.User(user.Id.ToString(), user.Email ?? ""),
                    SourceIp = sourceIp,
                    TargetType = "user",
                    TargetId = user.Id.ToString(),
                    Details = AuditDetails.Of(("email", user.Email), ("before", AuditDetails.Of(("status", nameof(AdminUserStatus.Invited)))),
                        ("after", AuditDetails.Of(("status", nameof(AdminUserStatus.Active)))), ("via", "activation link")),
                },
            ]);
        }, cancellationToken);
    }

    private static AuditEvent Refused(ActivationOutcome reason, Guid? userId, string sourceIp) => new()
    {
        Category = "users",
        Action = "user.activation_failed",
        Outcome = AuditVocabulary.Denied,
        Actor = AuditActor.Anonymous,
        SourceIp = sourceIp,
        TargetType = userId is null ? "" : "user",
        TargetId = userId?.ToString() ?? "",
        Details = AuditDetails.Of(("reason", reason.ToString())),
    };

    private async Task<(ActivationResult Result, UserInvitation? Invitation)> FindAsync(AdminDbContext db, string? token, CancellationToken cancellationToken)
    {
        if (OidcAuthentication.ReadMode(configuration) != AuthenticationMode.Local)
        {
            return (new ActivationResult(ActivationOutcome.NotAvailable, ExternalMessage), null);
        }

        if (!InvitationTokens.IsWellFormed(token))
        {
            return (new ActivationResult(ActivationOutcome.UnknownLink, UnknownMessage), null);
        }

        var hash = InvitationTokens.Hash(token!);
        var invitation = await db.UserInvitations.AsNoTracking().SingleOrDefaultAsync(i => i.TokenHash == hash, cancellationToken);
        if (invitation is null)
        {
            return (new ActivationResult(ActivationOutcome.UnknownLink, UnknownMessage), null);
        }

        if (invitation.UsedAt is not null)
        {
            return (new ActivationResult(ActivationOutcome.UsedLink, UsedMessage), invitation);
        }

        if (invitation.ExpiresAt <= time.GetUtcNow().UtcDateTime)
        {
            return (new ActivationResult(ActivationOutcome.ExpiredLink, ExpiredMessage), invitation);
        }

        var user = await db.Users.AsNoTracking().Where(u => u.Id == invitation.UserId).Select(u => new { u.Status, u.Email }).SingleOrDefaultAsync(cancellationToken);
        return user is { Status: AdminUserStatus.Invited }
            ? (new ActivationResult(ActivationOutcome.Ready, "", invitation.UserId, user.Email), invitation)
            : (new ActivationResult(ActivationOutcome.NotAvailable, NotAvailableMessage), invitation);
    }
}
