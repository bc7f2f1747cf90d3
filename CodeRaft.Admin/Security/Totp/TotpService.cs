using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Security.Totp;

public sealed class TotpOptions
{
    /// <summary>Consecutive failures before TOTP is locked (Security:Totp:MaxFailures; 1–100, default 5).</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>How long a lock lasts (Security:Totp:Lockout, default 15 minutes).</summary>
    public TimeSpan Lockout { get; set; } = TimeSpan.FromMinutes(15);

    internal int EffectiveMaxFailures => Math.Clamp(MaxFailures, 1, 100);
}

public enum TotpOutcome
{
    Accepted,
    Invalid,
    Replayed,
    LockedOut,
    NotEnrolled,
}

public sealed record TotpResult(TotpOutcome Outcome, string Message, DateTimeOffset? LockedUntil = null)
{
    public bool Succeeded => Outcome == TotpOutcome.Accepted;
}

/// <summary>
/// Checks a user's TOTP code or recovery code (docs/authentication.md, "TOTP"):
///   1. refuse while locked;   2. parse the input (clear message);   3. verify now ±1 step in constant time;
///   4. accept the step only if it is newer than the last accepted one — one conditional UPDATE, so two
///      concurrent submissions of the same code cannot both succeed;   5. count failures, lock after MaxFailures.
/// Every outcome is written to the audit log in the same transaction as the state change.
/// </summary>
public sealed class TotpService(IDbContextFactory<AdminDbContext> contexts, AuditWriter audit, TimeProvider time, IOptions<TotpOptions> options)
{
    // A compiled query is bound to the model it first ran with (EF refuses it on another one), and the SQLite and
    // PostgreSQL contexts have different models: one compiled query per model.
    private static readonly ConditionalWeakTable<IModel, Func<AdminDbContext, Guid, CancellationToken, Task<TotpState?>>> _readState = new();

    public async Task<TotpResult> VerifyCodeAsync(Guid userId, string? input, string purpose, AuditActor actor, string sourceIp = "", CancellationToken cancellationToken = default)
    {
        var parsed = TotpCodeInput.Parse(input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await audit.ExecuteAsync(db, async ct =>
        {
            var now = time.GetUtcNow();
            // Hot path of every sign-in and step-up (docs/benchmarks.md, section 4): only the two columns needed, through
            // a compiled query. Materializing the whole Identity user through a LINQ query cost about 0.13 ms.
            var state = await ReadStateAsync(db, userId, ct);
            if (state?.Secret is null)
            {
                return Done(new TotpResult(TotpOutcome.NotEnrolled, "Two-factor authentication is not set up for this account."), "totp.failed", AuditVocabulary.Failure);
            }

            // Decrypted before anything else, as materialization did: same key ring, same AAD (users.totp_secret, this
            // user's key), so a tampered or copied key still fails the check with an error.
            var secret = db.DecryptProjected<AdminUser>(nameof(AdminUser.TotpSecret), state.Secret, userId)!;
            if (state.LockedUntil is { } lockedUntil && lockedUntil > now.UtcDateTime)
            {
                return Done(Locked(lockedUntil), "totp.locked_out", AuditVocabulary.Denied);
            }

            if (parsed.Code is null && string.IsNullOrWhiteSpace(input))
            {
                // Nothing was submitted: a prompt, not an attempt.
                return (new TotpResult(TotpOutcome.Invalid, parsed.Error!), (IReadOnlyList<AuditEvent>)[]);
            }

            var step = parsed.Code is null ? null : Totp.Verify(Base32.Decode(secret)!, parsed.Code, now);
            if (step is not null)
            {
                // The replay guard: one conditional UPDATE, so of two concurrent submissions of one code only one finds
                // the step still newer. Plain parameterized SQL rather than ExecuteUpdate, whose translation cost
                // about 0.06 ms per call and cannot be compiled (EF Core 10); table and columns as in the migrations.
                var accepted = await db.Database.ExecuteSqlAsync(
                    $"UPDATE users SET totp_last_step = {step.Value}, totp_failures = 0, totp_locked_until = NULL WHERE id = {userId} AND totp_last_step < {step.Value}", ct);
                return accepted == 1
                    ? Done(new TotpResult(TotpOutcome.Accepted, "Code accepted."), "totp.verified", AuditVocabulary.Success)
                    : Done(new TotpResult(TotpOutcome.Replayed, "This code was already used. Wait for the next code and try again."), "totp.replayed", AuditVocabulary.Denied);
            }

            return await RecordFailureAsync(db, userId, parsed.Error ?? "That code is not valid. Check the time on your device and try again.", "totp.failed", now, Event, ct);
        }, cancellationToken);

        (TotpResult, IReadOnlyList<AuditEvent>) Done(TotpResult result, string action, string outcome) => (result, [Event(action, outcome)]);

        AuditEvent Event(string action, string outcome, params (string Key, object? Value)[] details) =>
            SecondFactorEvent(userId, actor, sourceIp, purpose, action, outcome, details);
    }

    /// <summary>
    /// The fallback factor: one of the user's single-use recovery codes. The same lock as TOTP codes applies and a
    /// wrong recovery code counts as a failure toward it, so the fallback is no way around throttling. The code is
    /// marked used by a conditional UPDATE: of two concurrent submissions of one code, exactly one succeeds.
    /// </summary>
    public async Task<TotpResult> VerifyRecoveryCodeAsync(Guid userId, string? input, string purpose, AuditActor actor, string sourceIp = "", CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return new(TotpOutcome.Invalid, "Enter one of your recovery codes (like k3mq-p7xv-2dre-9tbw).");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await audit.ExecuteAsync(db, async ct =>
        {
            var now = time.GetUtcNow();
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.TotpLockedUntil, u.TotpFailures }).SingleOrDefaultAsync(ct);
            if (user is null)
            {
                return Done(new TotpResult(TotpOutcome.NotEnrolled, "This account no longer exists."), "recovery_code.failed", AuditVocabulary.Failure);
            }

            if (user.TotpLockedUntil is { } lockedUntil && lockedUntil > now.UtcDateTime)
            {
                return Done(Locked(lockedUntil), "totp.locked_out", AuditVocabulary.Denied);
            }

            // Too long to be a code: refused without hashing, but still an attempt.
            var candidates = input.Length > TotpCodeInput.MaxInputLength
                ? []
                : await db.RecoveryCodes.AsNoTracking().Where(c => c.UserId == userId && c.UsedAt == null).Select(c => new { c.Id, c.CodeHash }).ToListAsync(ct);
            var match = candidates.FirstOrDefault(c => RecoveryCodeMatches(input, c.CodeHash));
            if (match is not null)
            {
                var marked = await db.RecoveryCodes.Where(c => c.Id == match.Id && c.UsedAt == null)
                    .ExecuteUpdateAsync(c => c.SetProperty(x => x.UsedAt, now.UtcDateTime), ct);
                if (marked == 1)
                {
                    await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpFailures, 0), ct);
                    return (new TotpResult(TotpOutcome.Accepted, "Recovery code accepted. It cannot be used again."),
                        (IReadOnlyList<AuditEvent>)[Event("recovery_code.used", AuditVocabulary.Success, ("remaining", candidates.Count - 1))]);
                }
            }

            var message = input.Length > TotpCodeInput.MaxInputLength
                ? "That is not a recovery code: a recovery code has 16 letters and digits (like k3mq-p7xv-2dre-9tbw)."
                : "That recovery code is not valid or was already used.";
            return await RecordFailureAsync(db, userId, message, "recovery_code.failed", now, Event, ct);
        }, cancellationToken);

        (TotpResult, IReadOnlyList<AuditEvent>) Done(TotpResult result, string action, string outcome) => (result, [Event(action, outcome)]);

        AuditEvent Event(string action, string outcome, params (string Key, object? Value)[] details) =>
            SecondFactorEvent(userId, actor, sourceIp, purpose, action, outcome, details);
    }

    /// <summary>The audit entry of a second-factor check of <paramref name="userId"/> (category auth, target the user).</summary>
    private static AuditEvent SecondFactorEvent(Guid userId, AuditActor actor, string sourceIp, string purpose, string action, string outcome,
        (string Key, object? Value)[] details) => new()
    {
        Category = "auth",
        Action = action,
        Outcome = outcome,
        Actor = actor,
        SourceIp = sourceIp,
        TargetType = "user",
        TargetId = userId.ToString(),
        Details = AuditDetails.Of([("purpose", purpose), .. details]),
    };

    /// <summary>One more consecutive failure; at MaxFailures the second factor locks for Lockout (TOTP and recovery codes alike).</summary>
    private async Task<(TotpResult, IReadOnlyList<AuditEvent>)> RecordFailureAsync(AdminDbContext db, Guid userId, string message, string action, DateTimeOffset now,
        Func<string, string, (string Key, object? Value)[], AuditEvent> eventOf, CancellationToken ct)
    {
        // Count and read back in one statement (the transaction holds the write lock either way).
        var counted = await db.Database.SqlQuery<int>(
            $"UPDATE users SET totp_failures = totp_failures + 1 WHERE id = {userId} RETURNING totp_failures AS \"Value\"").ToListAsync(ct);
        var failures = counted.Single();
        var events = new List<AuditEvent> { eventOf(action, AuditVocabulary.Failure, [("failures", failures)]) };
        if (failures < options.Value.EffectiveMaxFailures)
        {
            return (new TotpResult(TotpOutcome.Invalid, message), events);
        }

        // Rare (once per MaxFailures wrong codes), so the model-driven ExecuteUpdate stays.
        var until = now.UtcDateTime + options.Value.Lockout;
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpLockedUntil, until).SetProperty(x => x.TotpFailures, 0), ct);
        events.Add(eventOf("totp.locked", AuditVocabulary.Denied, [("until", AuditHash.FormatTimestamp(until)), ("failures", failures)]));
        return (Locked(until), events);
    }

    private static Task<TotpState?> ReadStateAsync(AdminDbContext db, Guid userId, CancellationToken cancellationToken) =>
        _readState.GetValue(db.Model, static _ => EF.CompileAsyncQuery((AdminDbContext context, Guid id, CancellationToken ct) =>
            context.Users.AsNoTracking().Where(u => u.Id == id)
                .Select(u => new TotpState(EF.Property<byte[]?>(u, nameof(AdminUser.TotpSecret) + ProtectedPropertyExtensions.ShadowSuffix), u.TotpLockedUntil))
                .SingleOrDefault()))(db, userId, cancellationToken);

    /// <summary>What a check needs of the user row: the TOTP key still encrypted, and the lock.</summary>
    private sealed record TotpState(byte[]? Secret, DateTime? LockedUntil);

    private static TotpResult Locked(DateTime until) => new(TotpOutcome.LockedOut,
        $"Too many wrong codes. Two-factor codes are locked until {until:HH:mm} UTC.", new DateTimeOffset(until, TimeSpan.Zero));

    /// <summary>
    /// 10 single-use recovery codes like <c>k3mq-p7xv-2dre-9tbw</c>: 16 characters of a 31-letter alphabet, about
    /// 79 random bits each — enough that a stolen database's salted hashes cannot be searched exhaustively.
    /// Shown once, stored as salted hashes.
    /// </summary>
    public static IReadOnlyList<string> NewRecoveryCodes()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i
        return [.. Enumerable.Range(0, 10).Select(_ =>
            string.Join('-', RandomNumberGenerator.GetItems<char>(alphabet, 16).Chunk(4).Select(group => new string(group))))];
    }

    /// <summary>salt (16 bytes, hex) ':' SHA-256(salt || normalized code) (hex). High-entropy codes need no slow hash.</summary>
    public static string HashRecoveryCode(string code, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        var digest = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(NormalizeRecoveryCode(code))]);
        return $"{Convert.ToHexStringLower(salt)}:{Convert.ToHexStringLower(digest)}";
    }

    public static bool RecoveryCodeMatches(string code, string stored)
    {
        var parts = stored.Split(':');
        if (parts.Length != 2)
        {
            return false;
        }

        var expected = HashRecoveryCode(code, Convert.FromHexString(parts[0]));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(stored));
    }

    private static string NormalizeRecoveryCode(string code) =>
        string.Concat(code.Where(c => c is not (' ' or '-'))).ToLowerInvariant();
}
