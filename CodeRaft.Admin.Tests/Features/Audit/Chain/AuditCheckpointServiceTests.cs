using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Audit.Chain;

public sealed class AuditCheckpointServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private TestStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Service_IdleForTwoIntervals_SignsTheUnchangedHeadEachInterval()
    {
        var service = new AuditCheckpointService(_store.Get<Admin.Features.Audit.Chain.AuditWriter>(), _time,
            _store.Get<IOptions<AuditOptions>>(), NullLogger<AuditCheckpointService>.Instance);

        await service.StartAsync(CancellationToken.None);
        for (var tick = 1; tick <= 2; tick++)
        {
            _time.Advance(TimeSpan.FromMinutes(5));
            await WaitForCheckpointsAsync(1 + tick);
        }

        await service.StopAsync(CancellationToken.None);

        await using var db = await _store.Contexts.CreateDbContextAsync();
        var actions = await db.AuditEntries.OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(["audit.signing_key_created", "system.started", "system.stopped"], actions);
        var checkpoints = await db.AuditCheckpoints.OrderBy(c => c.Timestamp).ToListAsync();
        Assert.Equal([2L, 2L, 2L, 3L], checkpoints.Select(c => c.Sequence));
        Assert.Equal(["2026-11-29T08:00:00.000Z", "2026-11-29T08:05:00.000Z", "2026-11-29T08:10:00.000Z"], checkpoints.Take(3).Select(c => c.Timestamp));
        var signer = _store.Get<AuditCheckpointSigner>();
        Assert.All(checkpoints, c => Assert.True(signer.Verify(c)));
        var result = await _store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(result.Ok, result.Summary);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public async Task Verify_LatestCheckpointOlderThanTwoIntervals_WarnsButStaysOk()
    {
        await _store.Get<Admin.Features.Audit.Chain.AuditWriter>().WriteCheckpointAsync();
        _time.Advance(TimeSpan.FromMinutes(11));

        var result = await _store.Get<AuditVerifier>().VerifyAsync();

        Assert.True(result.Ok);
        Assert.Contains(result.Warnings, w => w.Contains("latest signed checkpoint is from 2026-11-29T08:00:00.000Z", StringComparison.Ordinal));
    }

    private async Task WaitForCheckpointsAsync(int count)
    {
        // The timer continuation runs on the thread pool: poll (bounded) until it has committed.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await using var db = await _store.Contexts.CreateDbContextAsync();
            if (await db.AuditCheckpoints.CountAsync() >= count)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"expected {count} checkpoints");
    }
}
