using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

public sealed class SiemDeliveryEngineTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeSenderFactory _senders = new();
    private readonly SiemDeliveryOptions _options = new()
    {
        RetryMin = TimeSpan.FromSeconds(1),
        RetryMax = TimeSpan.FromMinutes(5),
        FailingAfterFailures = 3,
        Jitter = () => 1.0, // the cap: deterministic delays
    };

    private TimeProvider _time = TimeProvider.System;
    private TestStore _store = null!;
    private SiemDeliveryEngine? _engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.StopAsync(CancellationToken.None);
            _engine.Dispose();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _data.Dispose();
    }

    private AuditWriter Writer => _store.Get<AuditWriter>();

    private async Task StartAsync(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        // A new target starts after the entries timestamped before its creation (the store's own startup entries).
        (time as FakeTimeProvider)?.Advance(TimeSpan.FromSeconds(1));
    }

    private async Task StartEngineAsync(IDbContextFactory<Admin.Infrastructure.Data.AdminDbContext>? contexts = null)
    {
        _engine = new SiemDeliveryEngine(contexts ?? _store.Contexts, Writer, _senders, _time, Microsoft.Extensions.Options.Options.Create(_options), NullLogger<SiemDeliveryEngine>.Instance);
        await _engine.StartAsync(CancellationToken.None);
    }

    /// <summary>The engine's view of the store, failing the next <see cref="FailuresLeft"/> context creations (a database outage).</summary>
    private sealed class FlakyContexts(IDbContextFactory<Admin.Infrastructure.Data.AdminDbContext> inner) : IDbContextFactory<Admin.Infrastructure.Data.AdminDbContext>
    {
        private int _failuresLeft;

        public int FailuresLeft
        {
            get => Volatile.Read(ref _failuresLeft);
            set => Volatile.Write(ref _failuresLeft, value);
        }

        public Admin.Infrastructure.Data.AdminDbContext CreateDbContext()
        {
            FailIfDown();
            return inner.CreateDbContext();
        }

        public Task<Admin.Infrastructure.Data.AdminDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
        {
            FailIfDown();
            return inner.CreateDbContextAsync(cancellationToken);
        }

        private void FailIfDown()
        {
            if (FailuresLeft > 0 && Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                throw new InvalidOperationException("The database is unavailable (test).");
            }
        }
    }

    [Fact]
    public async Task Deliver_StoreFailsUnderTheLoop_LoopRestartsAndEverythingArrives()
    {
        await StartAsync();
        var flaky = new FlakyContexts(_store.Contexts);
        await StartEngineAsync(flaky);
        var target = await AddTargetAsync("survivor");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var start = (await StateAsync(target)).Cursor;
        await AppendAsync(10);
        await CursorReachesHeadAsync(target);

        // An outage while entries keep coming: reads and cursor writes of the loop fail; the loop must not die.
        flaky.FailuresLeft = 5;
        await AppendAsync(20);
        await Eventually.TrueAsync(() => Task.FromResult(flaky.FailuresLeft <= 0), "the outage happened");
        await AppendAsync(5);
        await CursorReachesHeadAsync(target);

        var head = await HeadAsync();
        var received = _senders.Of(target).Where(r => r.Entry is not null).Select(r => r.Sequence).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range((int)start + 1, (int)(head - start)).Select(i => (long)i), received);
    }

    private async Task<Guid> AddTargetAsync(string name, string categories = "", bool enabled = true)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var target = new SiemTarget
        {
            Id = Guid.NewGuid(), Name = name, Type = SiemTargetType.SyslogTcp, Endpoint = "127.0.0.1:1", Categories = categories, Enabled = enabled,
            CreatedAt = _time.GetUtcNow().UtcDateTime, UpdatedAt = _time.GetUtcNow().UtcDateTime, CreatedBy = "test",
        };
        db.SiemTargets.Add(target);
        // The start made explicit: the head now. (The engine derives it from the creation time when no row exists;
        // with the system clock, an entry the store writes in the same millisecond would then count as "after",
        // which made counts in these tests racy. The derived start is exercised by the rsyslog tests.)
        db.SiemDelivery.Add(new SiemDelivery { TargetId = target.Id, Cursor = await db.AuditEntries.MaxAsync(e => (long?)e.Sequence) ?? 0 });
        await db.SaveChangesAsync();
        _engine?.TargetsChanged();
        return target.Id;
    }

    private async Task<IReadOnlyList<AuditEntry>> AppendAsync(int count, string category = "test")
    {
        var events = Enumerable.Range(0, count).Select(i => new AuditEvent { Category = category, Action = $"{category}.event" }).ToList();
        return await Writer.AppendBatchAsync(events);
    }

    private async Task<SiemDelivery> StateAsync(Guid target)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.SiemDelivery.AsNoTracking().SingleAsync(d => d.TargetId == target);
    }

    private async Task<long> HeadAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.MaxAsync(e => e.Sequence);
    }

    private async Task<int> CountActionAsync(string action)
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.CountAsync(e => e.Action == action);
    }

    private Task CursorReachesHeadAsync(Guid target) =>
        Eventually.TrueAsync(async () => (await StateAsync(target)).Cursor == await HeadAsync(), "cursor at the head");

    [Fact]
    public async Task Deliver_AppendedEntriesAndCheckpoint_ArriveInOrderOnceWithCheckpointAfterItsEntry()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("a");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var start = (await StateAsync(target)).Cursor;

        var entries = await AppendAsync(30);
        var checkpoint = await Writer.WriteCheckpointAsync();
        await AppendAsync(5);
        await CursorReachesHeadAsync(target);

        var received = _senders.Of(target);
        var sequences = received.Where(r => r.Entry is not null).Select(r => r.Sequence).ToList();
        Assert.Equal(Enumerable.Range((int)start + 1, (int)(await HeadAsync() - start)).Select(i => (long)i), sequences);
        // This test's checkpoint (the store may write others of its own, e.g. at start-up, on a busy machine).
        var at = received.ToList().FindIndex(r => r.Checkpoint is { } c && c.Sequence == checkpoint.Sequence && c.Timestamp == checkpoint.Timestamp);
        Assert.True(at > 0, "the checkpoint was forwarded");
        Assert.Equal(checkpoint.Sequence, received[at - 1].Sequence);
        Assert.Equal(entries[^1].Sequence, checkpoint.Sequence);
        Assert.Equal(sequences.Count, (await StateAsync(target)).Delivered);
    }

    [Fact]
    public async Task Deliver_CheckpointOfAnAlreadyDeliveredHead_IsForwardedOnce()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("idle");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        await AppendAsync(3);
        await CursorReachesHeadAsync(target);

        var checkpoint = await Writer.WriteCheckpointAsync();
        await Eventually.TrueAsync(() => _senders.Of(target).Any(r => r.Checkpoint is not null), "idle checkpoint forwarded");
        await AppendAsync(1);
        await CursorReachesHeadAsync(target);

        var forwarded = Assert.Single(_senders.Of(target), r => r.Checkpoint is not null);
        Assert.Equal(checkpoint.Sequence, forwarded.Sequence);
        Assert.Equal(checkpoint.Timestamp, forwarded.Checkpoint!.Timestamp);
    }

    [Fact]
    public async Task Deliver_CategoryFilter_SendsOnlyMatchingEntriesAndStillAdvancesCursor()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("filtered", categories: "alpha gamma");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");

        await AppendAsync(3, "alpha");
        await AppendAsync(4, "beta");
        await AppendAsync(2, "gamma");
        await CursorReachesHeadAsync(target);

        var categories = _senders.Of(target).Where(r => r.Entry is not null).Select(r => r.Entry!.Category).ToList();
        Assert.Equal(["alpha", "alpha", "alpha", "gamma", "gamma"], categories);
        Assert.Equal(5, (await StateAsync(target)).Delivered);
    }

    [Fact]
    public async Task Deliver_SendFails_CursorStaysAndRetriesAfterExponentialBackoff()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
        await StartAsync(time);
        await StartEngineAsync();
        var target = await AddTargetAsync("flaky");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var start = (await StateAsync(target)).Cursor;
        _senders.Behavior[target] = (attempt, _) => attempt <= 2 ? throw new SiemDeliveryException("TCP connection to 127.0.0.1:1 failed: connection refused.") : Task.CompletedTask;

        await AppendAsync(10);
        await Eventually.TrueAsync(async () => (await StateAsync(target)).ConsecutiveFailures == 1, "first failure recorded");
        var failed = await StateAsync(target);
        Assert.Equal(start, failed.Cursor);
        Assert.Contains("connection refused", failed.LastError, StringComparison.Ordinal);
        Assert.Empty(_senders.Of(target));

        // 1st retry after RetryMin (1 s), the 2nd after 2 s: not a moment earlier.
        await AdvanceAndSettleAsync(time, TimeSpan.FromMilliseconds(990));
        Assert.Equal(1, _senders.Attempts[target]);
        await AdvanceAndSettleAsync(time, TimeSpan.FromMilliseconds(10));
        await Eventually.TrueAsync(async () => (await StateAsync(target)).ConsecutiveFailures == 2, "second failure recorded");
        await AdvanceAndSettleAsync(time, TimeSpan.FromMilliseconds(1990));
        Assert.Equal(2, _senders.Attempts[target]);
        await AdvanceAndSettleAsync(time, TimeSpan.FromMilliseconds(10));

        await CursorReachesHeadAsync(target);
        var state = await StateAsync(target);
        Assert.Equal(0, state.ConsecutiveFailures);
        Assert.Equal(10, _senders.Of(target).Count(r => r.Entry is not null));
    }

    [Fact]
    public async Task Deliver_ReceiverAsksRetryAfter_WaitsThatLong()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
        await StartAsync(time);
        await StartEngineAsync();
        var target = await AddTargetAsync("busy");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        _senders.Behavior[target] = (attempt, _) => attempt == 1 ? throw new SiemDeliveryException("HEC busy (503).", TimeSpan.FromSeconds(30)) : Task.CompletedTask;

        await AppendAsync(3);
        await Eventually.TrueAsync(async () => (await StateAsync(target)).ConsecutiveFailures == 1, "failure recorded");
        await AdvanceAndSettleAsync(time, TimeSpan.FromSeconds(29));
        Assert.Equal(1, _senders.Attempts[target]);
        await AdvanceAndSettleAsync(time, TimeSpan.FromSeconds(1));
        await CursorReachesHeadAsync(target);
        Assert.Equal(2, _senders.Attempts[target]);
    }

    [Fact]
    public async Task Deliver_TargetFailsThenRecovers_OneFailingAndOneRecoveredAuditEntryAndHealthFollows()
    {
        _options.RetryMin = TimeSpan.FromMilliseconds(5);
        _options.RetryMax = TimeSpan.FromMilliseconds(20);
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("down");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var healthy = true;
        _senders.Behavior[target] = (_, _) => Volatile.Read(ref healthy) ? Task.CompletedTask : throw new SiemDeliveryException("TCP connection to 127.0.0.1:1 failed: connection refused.");
        Volatile.Write(ref healthy, false);

        await AppendAsync(2);
        await Eventually.TrueAsync(async () => (await StateAsync(target)).ConsecutiveFailures >= 8, "several failures");
        Assert.Equal(1, await CountActionAsync("siem.target_failing"));
        Assert.Equal(SiemHealth.Failing, (await _engine!.StatusAsync()).Single().Health);

        Volatile.Write(ref healthy, true);
        await Eventually.TrueAsync(async () => await CountActionAsync("siem.target_recovered") == 1, "recovered entry");
        await CursorReachesHeadAsync(target);
        Assert.Equal(1, await CountActionAsync("siem.target_failing"));
        Assert.Equal(1, await CountActionAsync("siem.target_recovered"));
        var status = (await _engine.StatusAsync()).Single();
        Assert.Equal(SiemHealth.Healthy, status.Health);
        Assert.Equal(0, status.LagEvents);
    }

    [Fact]
    public async Task Deliver_UnacknowledgedConnectionLost_ResendsTheRecentBatchesSoNothingIsMissing()
    {
        _options.RetryMin = TimeSpan.FromMilliseconds(5);
        _options.RetryMax = TimeSpan.FromMilliseconds(20);
        _options.UnacknowledgedResendWindow = TimeSpan.FromMinutes(1); // everything below counts as "just before"
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("tcp-like");
        _senders.Unacknowledged[target] = true;
        _engine!.TargetsChanged();
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var start = (await StateAsync(target)).Cursor;
        var first = await AppendAsync(10);
        await CursorReachesHeadAsync(target);
        var sends = _senders.Attempts[target];

        // The receiver "went away" after accepting the first batch: the next send finds the connection lost.
        _senders.Behavior[target] = (attempt, _) => attempt == sends + 1 ? throw new SiemDeliveryException("TCP connection closed by the receiver.") : Task.CompletedTask;
        await AppendAsync(5);
        await CursorReachesHeadAsync(target);

        // What the store wrote around the target's creation may have been delivered (and re-sent) too; the property
        // is: the first batch arrived in order, then a re-send from at or before it, contiguous and in order, to the head.
        var all = _senders.Of(target).Where(r => r.Entry is not null).Select(r => r.Sequence).ToList();
        var at = all.IndexOf(first[0].Sequence);
        Assert.Equal(first.Select(e => e.Sequence), all.Skip(at).Take(first.Count));
        var resent = all.Skip(at + first.Count).ToList();
        var head = await HeadAsync();
        Assert.True(resent.Count > 0 && resent[0] <= first[0].Sequence, "the batches before the lost connection were sent again");
        Assert.Equal(Enumerable.Range((int)resent[0], (int)(head - resent[0] + 1)).Select(i => (long)i), resent);
        Assert.True(start < first[0].Sequence);
    }

    [Fact]
    public async Task Deliver_BlackholedTarget_DoesNotDelayAHealthyTarget()
    {
        await StartAsync();
        await StartEngineAsync();
        var blackhole = await AddTargetAsync("blackhole");
        var healthy = await AddTargetAsync("healthy");
        _senders.Behavior[blackhole] = (_, ct) => Task.Delay(Timeout.Infinite, ct);
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.CountAsync() == 2, "cursor rows");
        var blackholeStart = (await StateAsync(blackhole)).Cursor;

        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(10);
        }

        await CursorReachesHeadAsync(healthy);
        Assert.Equal(50, _senders.Of(healthy).Count(r => r.Entry is not null));
        Assert.Equal(blackholeStart, (await StateAsync(blackhole)).Cursor);
        Assert.Empty(_senders.Of(blackhole));
    }

    [Fact]
    public async Task Deliver_OnAppend_WakesWithoutWaitingForThePoll()
    {
        // Fake time never advances: the poll fallback cannot fire, only the append signal can deliver.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
        await StartAsync(time);
        await StartEngineAsync();
        var target = await AddTargetAsync("wake");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        await Task.Delay(200); // the loop is idle, waiting

        await AppendAsync(1);
        await CursorReachesHeadAsync(target);
        Assert.Single(_senders.Of(target), r => r.Entry is not null);
    }

    [Fact]
    public async Task TargetsChanged_CursorMovedBackAndTargetDisabled_ReplaysThenStops()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("replay");
        await Eventually.TrueAsync(async () => await _store.Contexts.CreateDbContext().SiemDelivery.AnyAsync(d => d.TargetId == target), "cursor row");
        var entries = await AppendAsync(10);
        await CursorReachesHeadAsync(target);

        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.SiemDelivery.Where(d => d.TargetId == target).ExecuteUpdateAsync(s => s.SetProperty(d => d.Cursor, entries[4].Sequence));
        }

        // Counted from what was delivered so far (an entry the store wrote at the target's creation millisecond counts too).
        var before = _senders.Of(target).Count(r => r.Entry is not null);
        _engine!.TargetsChanged();
        await Eventually.TrueAsync(() => Task.FromResult(_senders.Of(target).Count(r => r.Entry is not null) == before + 5), "replayed 5 entries");
        Assert.Equal(entries.Skip(5).Select(e => e.Sequence), _senders.Of(target).Where(r => r.Entry is not null).Skip(before).Select(r => r.Sequence));

        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.SiemTargets.Where(t => t.Id == target).ExecuteUpdateAsync(s => s.SetProperty(t => t.Enabled, false).SetProperty(t => t.UpdatedAt, DateTime.UtcNow));
        }

        _engine.TargetsChanged();
        await Task.Delay(300);
        await AppendAsync(3);
        await Task.Delay(300);
        Assert.Equal(before + 5, _senders.Of(target).Count(r => r.Entry is not null));
        Assert.Equal(SiemHealth.Disabled, (await _engine.StatusAsync()).Single().Health);
    }

    [Fact]
    public async Task SendTestAsync_Target_SendsOneSyntheticRecordNotStoredInTheChain()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("test", enabled: false);
        var head = await HeadAsync();

        var result = await _engine!.SendTestAsync(target);

        Assert.True(result.Succeeded, result.Message);
        var record = Assert.Single(_senders.Of(target));
        Assert.Equal(SiemTestEvent.Action, record.Entry!.Action);
        Assert.Equal(0, record.Sequence);
        Assert.Equal(head, await HeadAsync());
        Assert.Equal(0, await CountActionAsync(SiemTestEvent.Action));
    }

    [Fact]
    public async Task SendTestAsync_SenderFails_ReportsRedactedFailure()
    {
        await StartAsync();
        await StartEngineAsync();
        var target = await AddTargetAsync("bad", enabled: false);
        _senders.Behavior[target] = (_, _) => throw new InvalidOperationException("secret internals: Splunk 0123456789abcdef0123456789abcdef");

        var result = await _engine!.SendTestAsync(target);

        Assert.False(result.Succeeded);
        Assert.Equal("Test event not delivered: Unexpected error (InvalidOperationException).", result.Message);
        Assert.False((await _engine.SendTestAsync(Guid.NewGuid())).Succeeded);
    }

    /// <summary>Advances fake time once the loop is parked on its delay (bounded settle), then lets it run.</summary>
    private static async Task AdvanceAndSettleAsync(FakeTimeProvider time, TimeSpan by)
    {
        await Task.Delay(250);
        time.Advance(by);
        await Task.Delay(250);
    }
}
