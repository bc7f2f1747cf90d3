using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Account;

/// <summary>
/// TOTP enrollment, recovery codes and the break-glass reset (issue 4, item 3; docs/authentication.md, "TOTP").
///
///   <see cref="Begin"/>             new key + otpauth URI + QR; nothing is stored, the circuit keeps the pending key
///   <see cref="ActivateAsync"/>     a correct code for the pending key → key (encrypted column), step, 10 hashed
///                                   recovery codes and "totp.enrolled" commit in one transaction
///   <see cref="RegenerateRecoveryCodesAsync"/>  privileged: step-up first, then replace the codes
///   <see cref="ClearMfaAsync"/>     the MFA reset of user management (Users feature): forget key and codes
///
/// Plaintext recovery codes are returned once and never stored or audited; neither is the key.
/// </summary>
public sealed class TotpEnrollmentService(IDbContextFactory<AdminDbContext> contexts, AuditWriter audit, TimeProvider time)
{
    public const string RegenerateOperation = "account.recovery_codes_regenerated";

    /// <summary>A Base32 key longer than this did not come from <see cref="Begin"/> (160 bits are 32 characters).</summary>
    private const int MaxPendingSecretLength = 128;

    /// <summary>RFC 4226 requires at least 128 bits; <see cref="TotpEnrollment.Create"/> makes 160.</summary>
    private const int MinSecretBytes = 16;

    /// <summary>The ciphertext (shadow) property behind <see cref="AdminUser.TotpSecret"/>: null exactly when no key is stored.</summary>
    private const string StoredSecretColumn = nameof(AdminUser.TotpSecret) + ProtectedPropertyExtensions.ShadowSuffix;

    /// <summary>Enrolled means a key is stored — the same test <see cref="TotpService"/> applies when verifying.</summary>
    public static bool IsEnrolled(AdminUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.TotpSecret is not null;
    }

    /// <summary>A new key for <paramref name="user"/>. It stays with the caller until a code proves the app holds it.</summary>
    public TotpEnrollment Begin(AdminUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var account = user.Email ?? user.UserName;
        if (string.IsNullOrWhiteSpace(account))
        {
            throw new ArgumentException("The user has neither an e-mail address nor a user name to label the key with.", nameof(user));
        }

        return TotpEnrollment.Create(account);
    }

    public async Task<EnrollmentResult> ActivateAsync(Guid userId, string pendingSecretBase32, string? code, AuditActor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var current = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (current is null)
        {
            return EnrollmentResult.Refused(EnrollmentOutcome.UserNotFound, "This account no longer exists.");
        }

        if (IsEnrolled(current))
        {
            return AlreadyEnrolled;
        }

        var key = pendingSecretBase32 is { Length: > 0 and <= MaxPendingSecretLength } ? Base32.Decode(pendingSecretBase32) : null;
        if (key is null || key.Length < MinSecretBytes)
        {
            return EnrollmentResult.Refused(EnrollmentOutcome.EnrollmentExpired, "This setup is no longer valid. Start the setup again to get a new QR code.");
        }

        var parsed = TotpCodeInput.Parse(code);
        if (parsed.Code is null && string.IsNullOrWhiteSpace(code))
        {
            // Nothing was submitted: a prompt, not an attempt (as in TotpService).
            return EnrollmentResult.Refused(EnrollmentOutcome.InvalidCode, parsed.Error!);
        }

        var now = time.GetUtcNow();
        var step = parsed.Code is null ? null : Totp.Verify(key, parsed.Code, now);
        if (step is null)
        {
            await audit.AppendAsync(Event("totp.enrollment_failed", AuditVocabulary.Failure, userId, actor,
                ("reason", parsed.IsValid ? "wrong_code" : "malformed_code")), cancellationToken);
            return EnrollmentResult.Refused(EnrollmentOutcome.InvalidCode,
                parsed.Error ?? "That code is not valid. Check the time on your device, or scan the QR code again, and try again.");
        }

        var secret = Base32.Encode(key); // canonical form: upper case, no spaces or padding
        var recoveryCodes = TotpService.NewRecoveryCodes();
        return await audit.ExecuteAsync(db, async ct =>
        {
            // Claim the enrollment with a conditional UPDATE inside the transaction: of two concurrent activations
            // (two tabs), only one still finds no key stored; the other is refused instead of overwriting the key.
            var claimed = await db.Users.Where(u => u.Id == userId && EF.Property<byte[]?>(u, StoredSecretColumn) == null)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpEnabledAt, now.UtcDateTime), ct);
            if (claimed != 1)
            {
                return (AlreadyEnrolled, (IReadOnlyList<AuditEvent>)[]);
            }

            var user = await db.Users.SingleAsync(u => u.Id == userId, ct);

            // A tracked change, not ExecuteUpdate: the protected-property interceptor encrypts TotpSecret on SaveChanges.
            user.TotpSecret = secret;
            user.TotpEnabledAt = now.UtcDateTime;
            user.TotpLastStep = step.Value; // the activation code cannot be replayed to sign in or step up
            user.TotpFailures = 0;
            user.TotpLockedUntil = null;
            await ReplaceRecoveryCodesAsync(db, userId, recoveryCodes, now, ct);
            return (new EnrollmentResult(EnrollmentOutcome.Activated,
                    "Two-factor authentication is on. Store your recovery codes now: they are shown only once.", recoveryCodes),
                (IReadOnlyList<AuditEvent>)[Event("totp.enrolled", AuditVocabulary.Success, userId, actor, ("codesIssued", recoveryCodes.Count))]);
        }, cancellationToken);
    }

    /// <summary>
    /// Replaces the user's recovery codes and returns the new plaintext codes once. Privileged: throws
    /// <see cref="StepUpRequiredException"/> unless <paramref name="ticket"/> was stepped up by this same user.
    /// </summary>
    public async Task<IReadOnlyList<string>> RegenerateRecoveryCodesAsync(Guid userId, StepUpService stepUp, StepUpTicket? ticket, AuditActor actor,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stepUp);
        ArgumentNullException.ThrowIfNull(actor);
        await stepUp.DemandAsync(ticket, RegenerateOperation, cancellationToken);

        // The step-up proves who sits at this circuit; it says nothing about another account's codes.
        if (await stepUp.CurrentUserIdAsync() != userId)
        {
            throw new UnauthorizedAccessException("Recovery codes can only be regenerated for your own account.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var recoveryCodes = TotpService.NewRecoveryCodes();
        return await audit.ExecuteAsync(db, async ct =>
        {
            var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
            if (user is null || !IsEnrolled(user))
            {
                throw new InvalidOperationException("Set up two-factor authentication first: recovery codes belong to an authenticator app.");
            }

            var now = time.GetUtcNow();
            await ReplaceRecoveryCodesAsync(db, userId, recoveryCodes, now, ct);
            return (recoveryCodes, (IReadOnlyList<AuditEvent>)[Event("totp.recovery_codes_regenerated", AuditVocabulary.Success, userId, actor,
                ("codesIssued", recoveryCodes.Count))]);
        }, cancellationToken);
    }

    /// <summary>
    /// Forgets the tracked <paramref name="user"/>'s key, replay state, failures, lock and every recovery code, and
    /// rotates the security stamp so sessions signed in with the old factor end; the user has to enroll again.
    /// Only the mutation, inside the caller's transaction: the one caller, user management's MFA reset
    /// (<see cref="Users.UserManagementCore.ResetMfaAsync"/>), authorizes and audits it. Returns the codes deleted.
    /// </summary>
    internal static async Task<int> ClearMfaAsync(AdminDbContext db, AdminUser user, CancellationToken cancellationToken)
    {
        user.TotpSecret = null;
        user.TotpEnabledAt = null;
        user.TotpLastStep = 0;
        user.TotpFailures = 0;
        user.TotpLockedUntil = null;
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        return await db.RecoveryCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
    }

    private static readonly EnrollmentResult AlreadyEnrolled = EnrollmentResult.Refused(EnrollmentOutcome.AlreadyEnrolled,
        "Two-factor authentication is already set up for this account. To move to a new device, ask an administrator to reset it.");

    private static async Task ReplaceRecoveryCodesAsync(AdminDbContext db, Guid userId, IReadOnlyList<string> codes, DateTimeOffset now, CancellationToken ct)
    {
        await db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
        db.RecoveryCodes.AddRange(codes.Select(code => new RecoveryCode
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            CodeHash = TotpService.HashRecoveryCode(code),
            CreatedAt = now.UtcDateTime,
        }));
    }

    private static AuditEvent Event(string action, string outcome, Guid userId, AuditActor actor, params (string Key, object? Value)[] details) => new()
    {
        Category = "auth",
        Action = action,
        Outcome = outcome,
        Actor = actor,
        TargetType = "user",
        TargetId = userId.ToString(),
        Details = AuditDetails.Of(details),
    };
}
