using System.Globalization;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Dashboard;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Dashboard;

public sealed class DashboardStatisticsServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-dashboard");
    private TestStore _store = default!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task GetAuditStatistics_FreshEntries_CountsThemPerHourAndOutcome()
    {
        var seeded = await SeedProblemsAsync();
        await _store.Get<AuditWriter>().WriteCheckpointAsync();
        var head = seeded[^1].Sequence;

        var stats = await Service(TimeProvider.System).GetAuditStatisticsAsync();

        Assert.Equal(DashboardStatisticsService.Hours, stats.PerHour.Count);
        Assert.All(stats.PerHour.Zip(stats.PerHour.Skip(1)), pair => Assert.Equal(TimeSpan.FromHours(1), pair.Second.Hour - pair.First.Hour));
        Assert.Equal(stats.Since, stats.PerHour[0].Hour);
        Assert.Equal(head, stats.PerHour.Sum(h => h.Count)); // everything was written in the last minutes
        Assert.Equal(["success", "failure", "denied"], stats.PerOutcome.Select(o => o.Outcome));
        Assert.Equal(head - 3, stats.PerOutcome[0].Count);
        Assert.Equal(1, stats.PerOutcome[1].Count);
        Assert.Equal(2, stats.PerOutcome[2].Count);
        Assert.Equal([seeded[4].Sequence, seeded[3].Sequence, seeded[1].Sequence], stats.RecentProblems.Select(e => e.Sequence));
        Assert.Equal(head, stats.HeadSequence);
        Assert.Equal(head, stats.LastCheckpoint?.Sequence);
    }

    [Fact]
    public async Task GetAuditStatistics_LaterClock_BucketsByTheTimestampsHour()
    {
        var seeded = await SeedProblemsAsync();
        var written = DateTimeOffset.Parse(seeded[0].Timestamp, CultureInfo.InvariantCulture);
        var hour = new DateTimeOffset(written.Year, written.Month, written.Day, written.Hour, 0, 0, TimeSpan.Zero);

        var stats = await Service(new FakeTimeProvider(written.AddHours(5))).GetAuditStatisticsAsync();

        var bucket = stats.PerHour.Single(h => h.Hour == hour);
        Assert.Equal(DashboardStatisticsService.Hours - 1 - 5, stats.PerHour.ToList().IndexOf(bucket));
        Assert.True(bucket.Count >= seeded.Count);
    }

    [Fact]
    public async Task GetAuditStatistics_EntriesOlderThanADay_AreNotCountedButStillListed()
    {
        var seeded = await SeedProblemsAsync();
        var written = DateTimeOffset.Parse(seeded[^1].Timestamp, CultureInfo.InvariantCulture);

        var stats = await Service(new FakeTimeProvider(written.AddHours(25))).GetAuditStatisticsAsync();

        Assert.All(stats.PerHour, h => Assert.Equal(0, h.Count));
        Assert.All(stats.PerOutcome, o => Assert.Equal(0, o.Count));
        Assert.Equal(3, stats.RecentProblems.Count);
        Assert.Equal(seeded[^1].Sequence, stats.HeadSequence);
    }

    [Fact]
    public async Task GetAuditStatistics_ManyProblems_ListsTheTenNewestOfBothKinds()
    {
        var writer = _store.Get<AuditWriter>();
        var seeded = await writer.AppendBatchAsync([.. Enumerable.Range(0, 30).Select(i => new AuditEvent
        {
            Category = "auth",
            Action = "auth.signin",
            Outcome = (i % 3) switch { 0 => AuditVocabulary.Denied, 1 => AuditVocabulary.Failure, _ => AuditVocabulary.Success },
        })]);

        var stats = await Service(TimeProvider.System).GetAuditStatisticsAsync();

        var expected = seeded.Where(e => e.Outcome != AuditVocabulary.Success).OrderByDescending(e => e.Sequence).Take(10).Select(e => e.Sequence);
        Assert.Equal(expected, stats.RecentProblems.Select(e => e.Sequence));
    }

    [Fact]
    public async Task GetAuditStatistics_NoCheckpoint_ReportsNone()
    {
        var stats = await Service(TimeProvider.System).GetAuditStatisticsAsync();

        Assert.Null(stats.LastCheckpoint);
        Assert.Empty(stats.RecentProblems);
    }

    private DashboardStatisticsService Service(TimeProvider time) => new(_store.Contexts, time);

    /// <summary>Two successes, one failure, two denials (seeded[1], [3], [4] are the problems).</summary>
    private Task<IReadOnlyList<AuditEntry>> SeedProblemsAsync() => _store.Get<AuditWriter>().AppendBatchAsync(
    [
        new AuditEvent { Category = "auth", Action = "auth.signin" },
        new AuditEvent { Category = "auth", Action = "auth.signin", Outcome = AuditVocabulary.Denied },
        new AuditEvent { Category = "users", Action = "user.created" },
        new AuditEvent { Category = "apikeys", Action = "apikey.used", Outcome = AuditVocabulary.Failure },
        new AuditEvent { Category = "auth", Action = "stepup.failed", Outcome = AuditVocabulary.Denied },
    ]);
}
