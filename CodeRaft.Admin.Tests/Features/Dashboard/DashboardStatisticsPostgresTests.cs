using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Dashboard;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Dashboard;

/// <summary>The dashboard's aggregates translate to SQL on PostgreSQL too (the PostgreSQL lane).</summary>
[Collection(PostgresCollection.Name)]
public sealed class DashboardStatisticsPostgresTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _data = new("coderaft-dashboard-pg");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task GetAuditStatistics_Postgres_CountsPerHourAndOutcome()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), await postgres.CreateDatabaseAsync());
        var seeded = await store.Get<AuditWriter>().AppendBatchAsync(
        [
            new AuditEvent { Category = "auth", Action = "auth.signin" },
            new AuditEvent { Category = "auth", Action = "auth.signin", Outcome = AuditVocabulary.Denied },
            new AuditEvent { Category = "apikeys", Action = "apikey.used", Outcome = AuditVocabulary.Failure },
        ]);
        await store.Get<AuditWriter>().WriteCheckpointAsync();

        var stats = await new DashboardStatisticsService(store.Contexts, TimeProvider.System).GetAuditStatisticsAsync();

        var head = seeded[^1].Sequence;
        Assert.Equal(head, stats.HeadSequence);
        Assert.Equal(head, stats.PerHour.Sum(h => h.Count));
        Assert.Equal([head - 2, 1, 1], stats.PerOutcome.Select(o => (long)o.Count));
        Assert.Equal([seeded[2].Sequence, seeded[1].Sequence], stats.RecentProblems.Select(e => e.Sequence));
        Assert.Equal(head, stats.LastCheckpoint?.Sequence);
    }
}
