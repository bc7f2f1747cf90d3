using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// Tells the open circuits of this process that a user's sessions changed (disabled, role changed, MFA reset,
/// "sign out everywhere"). Call <see cref="Revoke"/> after the change has committed: each circuit of that user
/// re-checks the store at once instead of at its next 30-second revalidation. The 30-second loop stays as the
/// backstop for changes made by another process (a second portal instance on PostgreSQL, or the CLI).
/// </summary>
public sealed class SessionRevocations
{
    public event Action<Guid>? Revoked;

    public void Revoke(Guid userId) => Revoked?.Invoke(userId);
}

/// <summary>
/// "Sign out everywhere" (My account → Sessions): a new security stamp makes every session cookie issued before
/// it invalid at its next request (SessionValidator compares stamps), and every open circuit of the user ends at
/// once through <see cref="SessionRevocations"/>.
/// </summary>
public sealed class SignOutEverywhereService(IDbContextFactory<AdminDbContext> contexts, Features.Audit.Chain.AuditWriter audit, SessionRevocations revocations)
{
    public async Task SignOutEverywhereAsync(Guid userId, Features.Audit.Chain.AuditActor actor, string sourceIp, CancellationToken cancellationToken = default)
    {
        var stamp = Guid.NewGuid().ToString("N");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await audit.ExecuteAsync(db, async ct =>
        {
            var changed = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.SecurityStamp, stamp), ct);
            return (changed, (IReadOnlyList<Features.Audit.Chain.AuditEvent>)[new Features.Audit.Chain.AuditEvent
            {
                Category = "auth",
                Action = "auth.signed_out_everywhere",
                Outcome = changed == 1 ? Features.Audit.Chain.AuditVocabulary.Success : Features.Audit.Chain.AuditVocabulary.Failure,
                Actor = actor,
                SourceIp = sourceIp,
                TargetType = "user",
                TargetId = userId.ToString(),
            }]);
        }, cancellationToken);
        revocations.Revoke(userId);
    }
}
