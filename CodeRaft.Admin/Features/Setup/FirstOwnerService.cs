using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Setup;

public enum FirstOwnerOutcome
{
    Created,
    Invalid,
    InvalidToken,
    AlreadyCompleted,
}

/// <summary>The result of a /setup submission; <see cref="Errors"/> holds one sentence per problem.</summary>
public sealed record FirstOwnerResult(FirstOwnerOutcome Outcome, IReadOnlyList<string> Errors, Guid? UserId = null)
{
    public bool Succeeded => Outcome == FirstOwnerOutcome.Created;
}

/// <summary>
/// Creates the first Owner from the /setup form (Security/Authentication/README.md): validate → setup token
/// (constant time; a wrong one is audited) → in one transaction, only if there is still no user at all, insert the
/// Owner together with its <c>user.created</c> audit entry → consume the token. The caller then goes on to TOTP
/// enrollment. The password and the token never reach the audit log or the logs.
/// </summary>
public sealed class FirstOwnerService(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    SetupTokenService tokens,
    FirstOwnerInputValidator validator,
    TimeProvider time)
{
    public const string InvalidTokenMessage = "The setup token is not valid.";
    public const string AlreadyCompletedMessage = "Setup is already complete: an account exists, so sign in instead.";

    /// <summary>A PostgreSQL transaction-scoped advisory lock so that two portal processes cannot both create an Owner.</summary>
    private const string PostgresSetupLockSql = "SELECT pg_advisory_xact_lock(7362025112902)";

    private static readonly PasswordHasher<AdminUser> Hasher = new();

    public async Task<FirstOwnerResult> CreateAsync(FirstOwnerInput input, string sourceIp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        sourceIp = AuditableIp(sourceIp);
        if (!tokens.IsSetupPending)
        {
            return new FirstOwnerResult(FirstOwnerOutcome.AlreadyCompleted, [AlreadyCompletedMessage]);
        }

        var validation = await validator.ValidateAsync(input, cancellationToken);
        var tokenGiven = !string.IsNullOrWhiteSpace(input.SetupToken);
        if (tokenGiven && !tokens.Validate(input.SetupToken))
        {
            await audit.AppendAsync(new AuditEvent
            {
                Category = "auth",
                Action = "setup.failed",
                Outcome = AuditVocabulary.Denied,
                Actor = AuditActor.Anonymous,
                SourceIp = sourceIp,
                TargetType = "setup",
                Details = AuditDetails.Of(("reason", InvalidTokenMessage)),
            }, cancellationToken);
            return new FirstOwnerResult(FirstOwnerOutcome.InvalidToken, [InvalidTokenMessage]);
        }

        if (!validation.IsValid)
        {
            return new FirstOwnerResult(FirstOwnerOutcome.Invalid, [.. validation.Errors.Select(e => e.ErrorMessage).Distinct(StringComparer.Ordinal)]);
        }

        var email = FirstOwnerInputValidator.Trimmed(input.Email);
        var now = time.GetUtcNow().UtcDateTime;
        var user = AdminUser.Create(email, email, FirstOwnerInputValidator.Trimmed(input.DisplayName), AdminRole.Owner, AdminUserStatus.Active, now);

        // Hashing is deliberately slow (PBKDF2), so it happens before the transaction, not while holding the chain lock.
        user.PasswordHash = Hasher.HashPassword(user, input.Password!);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var created = await audit.ExecuteAsync(db, async ct =>
        {
            if (db.Database.IsNpgsql())
            {
                await db.Database.ExecuteSqlRawAsync(PostgresSetupLockSql, ct);
            }

            // Checked inside the transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: the lock above), so two
            // concurrent submissions of the valid token cannot both see an empty table.
            if (await db.Users.AnyAsync(ct))
            {
                return (false, (IReadOnlyList<AuditEvent>)[]);
            }

            db.Users.Add(user);
            return (true, (IReadOnlyList<AuditEvent>)
            [
                new AuditEvent
                {
                    Category = "users",
                    Action = "user.created",
                    Actor = AuditActor.Anonymous,
                    SourceIp = sourceIp,
                    TargetType = "user",
                    TargetId = user.Id.ToString(),
                    Details = AuditDetails.Of(("role", nameof(AdminRole.Owner)), ("email", email), ("via", "setup")),
                },
            ]);
        }, cancellationToken);

        // Either way the token has done its job: with a user in the table it must never work again.
        tokens.Consume();
        return created
            ? new FirstOwnerResult(FirstOwnerOutcome.Created, [], user.Id)
            : new FirstOwnerResult(FirstOwnerOutcome.AlreadyCompleted, [AlreadyCompletedMessage]);
    }

    /// <summary>The audit log refuses over-long or control-character values; an unusable address is recorded as empty.</summary>
    private static string AuditableIp(string? sourceIp)
    {
        var value = sourceIp?.Trim() ?? "";
        return value.Length <= 64 && !value.Any(char.IsControl) ? value : "";
    }
}
