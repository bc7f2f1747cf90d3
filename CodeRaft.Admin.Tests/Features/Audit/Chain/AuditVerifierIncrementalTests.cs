using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Audit.Chain;

public sealed class AuditVerifierIncrementalTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private TestStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private Task<IReadOnlyList<Admin.Features.Audit.AuditEntry>> AppendAsync(int count) => _store.Get<AuditWriter>().AppendBatchAsync(
        [.. Enumerable.Range(0, count).Select(i => new AuditEvent { Category = "test", Action = "test.appended", TargetId = $"{i}" })]);

    [Fact]
    public async Task VerifyIncremental_AfterFullRun_StartsAtTheLastCoveredCheckpoint()
    {
        await AppendAsync(2499); // head 2500 with the key entry; checkpoints at 1000 and 2000
        var full = await _store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(full.Ok, full.Summary);
        await AppendAsync(700);

        var incremental = await _store.Get<AuditVerifier>().VerifyIncrementalAsync();

        Assert.True(incremental.Ok, incremental.Summary);
        Assert.Equal(2000, incremental.StartedAfterSequence);
        Assert.Equal(1200, incremental.EntriesChecked);
        Assert.Equal(3200, incremental.HeadSequence);
        Assert.Equal(full.HeadSequence + 700, incremental.HeadSequence);
    }

    [Fact]
    public async Task VerifyIncremental_ChangeAfterStartingCheckpoint_Detected()
    {
        await AppendAsync(2499);
        Assert.True((await _store.Get<AuditVerifier>().VerifyAsync()).Ok);
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET action = 'test.rewritten' WHERE sequence = 2300;");
        }

        var incremental = await _store.Get<AuditVerifier>().VerifyIncrementalAsync();

        Assert.False(incremental.Ok);
        Assert.Equal(2300, incremental.TamperedAt);
    }

    [Fact]
    public async Task VerifyIncremental_WithoutPreviousRun_VerifiesFromGenesis()
    {
        await AppendAsync(10);

        var incremental = await _store.Get<AuditVerifier>().VerifyIncrementalAsync();

        Assert.True(incremental.Ok);
        Assert.Equal(0, incremental.StartedAfterSequence);
        Assert.Equal(11, incremental.EntriesChecked);
    }
}
