using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.Totp;

/// <summary>
/// The TOTP hot path uses a compiled query and raw SQL (docs/benchmarks.md, section 4): the same outcomes and audit
/// entries on PostgreSQL as on SQLite — accept, replay, failures up to the lock, recovery codes.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TotpServicePostgresTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _data = new("coderaft-totp-pg");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task VerifyCodeAndRecoveryCode_Postgres_SameOutcomesAndAuditAsSqlite()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), await postgres.CreateDatabaseAsync(), time: _time);
        var userId = await Security.StepUp.StepUpUser.SeedAsync(store, _time.GetUtcNow());
        var totp = store.Get<TotpService>();
        var actor = AuditActor.User(userId.ToString(), "Alice");
        var code = Security.StepUp.StepUpUser.CodeAt(_time.GetUtcNow());

        var accepted = await totp.VerifyCodeAsync(userId, code, "step-up", actor);
        var replayed = await totp.VerifyCodeAsync(userId, code, "step-up", actor);
        var recovery = await totp.VerifyRecoveryCodeAsync(userId, Security.StepUp.StepUpUser.RecoveryCodes[0], "signin", actor);
        var outcomes = new List<TotpOutcome>();
        for (var i = 0; i < 5; i++)
        {
            outcomes.Add((await totp.VerifyCodeAsync(userId, "000000", "step-up", actor)).Outcome);
        }

        var locked = await totp.VerifyCodeAsync(userId, Security.StepUp.StepUpUser.CodeAt(_time.GetUtcNow().AddSeconds(30)), "step-up", actor);

        Assert.Equal((TotpOutcome.Accepted, TotpOutcome.Replayed, TotpOutcome.Accepted), (accepted.Outcome, replayed.Outcome, recovery.Outcome));
        Assert.Equal([TotpOutcome.Invalid, TotpOutcome.Invalid, TotpOutcome.Invalid, TotpOutcome.Invalid, TotpOutcome.LockedOut], outcomes);
        Assert.Equal(TotpOutcome.LockedOut, locked.Outcome);
        await using var db = await store.Contexts.CreateDbContextAsync();
        var actions = await db.AuditEntries.Where(e => e.Category == "auth").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(["totp.verified", "totp.replayed", "recovery_code.used", "totp.failed", "totp.failed", "totp.failed", "totp.failed", "totp.failed", "totp.locked", "totp.locked_out"], actions);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId);
        Assert.Equal((0, Admin.Security.Totp.Totp.StepAt(_time.GetUtcNow())), (user.TotpFailures, user.TotpLastStep));
        Assert.NotNull(user.TotpLockedUntil);
    }
}
