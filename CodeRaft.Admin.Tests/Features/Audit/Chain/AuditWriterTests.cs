using System.Diagnostics;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using FluentValidation;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Audit.Chain;

public sealed class AuditWriterTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private TestStore _store = null!;

    private AuditWriter Writer => _store.Get<AuditWriter>();

    // A new store has one entry already: audit.signing_key_created.
    private const long Baseline = 1;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, _secret);

    private async Task<long> CountAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.LongCountAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private static AuditEvent Event(string target = "") => new() { Category = "test", Action = "test.appended", TargetId = target };

    [Fact]
    public async Task AppendAsync_EightConcurrentWritersThousandEach_OneLinearChainWithoutGaps()
    {
        // Half of the writers use the group-commit queue, half the transactional path with their own contexts.
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (w % 2 == 0)
                {
                    await Writer.AppendAsync(Event($"{w}-{i}"));
                }
                else
                {
                    await using var db = await _store.Contexts.CreateDbContextAsync();
                    await Writer.SaveChangesAsync(db, Event($"{w}-{i}"));
                }
            }
        }));
        await Task.WhenAll(writers);

        await using var read = await _store.Contexts.CreateDbContextAsync();
        var sequences = await read.AuditEntries.OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 8000 + (int)Baseline).Select(i => (long)i), sequences);
        Assert.Equal(8000, await read.AuditEntries.Where(e => e.Action == "test.appended").Select(e => e.TargetId).Distinct().CountAsync());
        var result = await _store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(result.Ok, result.Summary);
        Assert.Equal(8000 + Baseline, result.HeadSequence);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 1000L), await read.AuditCheckpoints.Select(c => c.Sequence).OrderBy(s => s).ToListAsync());
    }

    [Fact]
    public async Task SaveChangesAsync_AuditInsertFails_ChangeRolledBackAndClearError()
    {
        await Writer.AppendAsync(Event("before"));
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            // As if the disk filled up exactly when the audit row is written.
            await db.Database.ExecuteSqlRawAsync("CREATE TRIGGER simulate_failure BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
        }

        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            db.SystemSecrets.Add(new SystemSecret { Name = "guarded-change", Value = "v", CreatedAt = DateTime.UtcNow });
            var error = await Assert.ThrowsAsync<AuditWriteException>(() => Writer.SaveChangesAsync(db, Event("during")));
            Assert.Equal(AuditWriteException.FailClosedMessage, error.Message);
        }

        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            Assert.False(await db.SystemSecrets.AnyAsync(s => s.Name == "guarded-change"));
            Assert.Equal(Baseline + 1, await db.AuditEntries.LongCountAsync());
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER simulate_failure;");
        }

        // The queue path fails closed too, and the chain continues cleanly afterwards.
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            db.SystemSecrets.Add(new SystemSecret { Name = "guarded-change", Value = "v", CreatedAt = DateTime.UtcNow });
            await Writer.SaveChangesAsync(db, Event("after"));
        }

        var result = await _store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(result.Ok, result.Summary);
        Assert.Equal(Baseline + 2, result.HeadSequence);
    }

    [Fact]
    public async Task AppendBatchAsync_QueueFailure_EveryWaitingCallerGetsTheError()
    {
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("CREATE TRIGGER simulate_failure BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
        }

        var attempts = Enumerable.Range(0, 5).Select(i => Writer.AppendAsync(Event($"q{i}"))).ToList();
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAsync<AuditWriteException>(() => attempt);
        }

        Assert.Equal(Baseline, await CountAsync());
    }

    [Fact]
    public async Task SaveChanges_ModifiedOrDeletedEntry_RefusedByApplicationAndDatabase()
    {
        await Writer.AppendAsync(Event("original"));
        await Writer.WriteCheckpointAsync();
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == "test.appended");

        entry.Action = "test.rewritten";
        var appError = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        Assert.Contains("append-only", appError.Message, StringComparison.Ordinal);

        db.ChangeTracker.Clear();
        var update = await Assert.ThrowsAsync<SqliteException>(() => db.AuditEntries.ExecuteUpdateAsync(s => s.SetProperty(e => e.Action, "x")));
        Assert.Contains("audit log is append-only", update.Message, StringComparison.Ordinal);
        var delete = await Assert.ThrowsAsync<SqliteException>(() => db.AuditEntries.ExecuteDeleteAsync());
        Assert.Contains("audit log is append-only", delete.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SqliteException>(() => db.AuditCheckpoints.ExecuteDeleteAsync());
        await Assert.ThrowsAsync<SqliteException>(() => db.AuditCheckpoints.ExecuteUpdateAsync(s => s.SetProperty(c => c.Signature, "forged")));
        Assert.Equal("test.appended", (await db.AuditEntries.SingleAsync(e => e.Sequence == entry.Sequence)).Action);
    }

    [Fact]
    public async Task AppendAsync_SecretsInDetails_RedactedBeforeHashing()
    {
        var entry = await Writer.AppendAsync(new AuditEvent
        {
            Category = "siem",
            Action = "siem.target_created",
            Details = AuditDetails.Of(("name", "Splunk"), ("token", "hec-5f1c"), ("nested", new Dictionary<string, object> { ["clientSecret"] = "s3", ["ApiKey"] = "crk_x", ["port"] = 8088 })),
        });

        Assert.Equal("""{"name":"Splunk","token":"[redacted]","nested":{"clientSecret":"[redacted]","ApiKey":"[redacted]","port":8088}}""", entry.Details);
        Assert.Equal(entry.Hash, AuditHash.Compute(entry));
    }

    [Theory]
    [InlineData("admin", "users", "user.created", "maybe", "user")]
    [InlineData("acme", "users", "user.created", "success", "user")]
    [InlineData("admin", "Users!", "user.created", "success", "user")]
    [InlineData("admin", "users", "User Created", "success", "user")]
    [InlineData("admin", "users", "user.created", "success", "root")]
    public async Task AppendAsync_InvalidEvent_RefusedAndNothingWritten(string product, string category, string action, string outcome, string actorType)
    {
        await Assert.ThrowsAsync<ValidationException>(() => Writer.AppendAsync(new AuditEvent
        {
            Product = product, Category = category, Action = action, Outcome = outcome, Actor = new AuditActor(actorType, "", ""),
        }));

        Assert.Equal(Baseline, await CountAsync());
    }

    [Fact]
    public async Task AppendAsync_ControlCharacterInTarget_Refused()
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => Writer.AppendAsync(Event("line1\nFAKE: injected")));
        Assert.Contains("Target Id", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xD800)]
    [InlineData(0xDC00)]
    public async Task AppendAsync_LoneSurrogate_RefusedInsteadOfStoredAltered(int surrogate)
    {
        // Built here: xunit would turn a lone surrogate in InlineData into U+FFFD before the test runs.
        var target = "lone " + (char)surrogate + " surrogate";

        await Assert.ThrowsAsync<ValidationException>(() => Writer.AppendAsync(Event(target)));

        Assert.Equal(Baseline, await CountAsync());
    }

    [Fact]
    public async Task AppendAsync_EveryEntry_MatchesContractFormats()
    {
        var entry = await Writer.AppendAsync(Event());

        Assert.Equal(Baseline + 1, entry.Sequence);
        Assert.Matches("^[0-9a-f]{64}$", entry.PreviousHash);
        Assert.Matches("^[0-9a-f]{64}$", entry.Hash);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", entry.Timestamp);
        Assert.Equal("{}", entry.Details);
        Assert.Equal("", entry.SourceIp);
    }

    [Fact]
    public async Task WriteCheckpointAsync_OwnEntryRewrittenUnderneath_RecordsTamperingAndRefusesToSign()
    {
        var written = await Writer.AppendBatchAsync([Event("a"), Event("b")]);
        var head = written[^1].Sequence;
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            // A DBA rewrites the head this process wrote, recomputing its hash so the chain stays consistent.
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER audit_entries_no_update;");
            var rewritten = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == head);
            rewritten.ActorName = "mallory";
            await db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET actor_name = {0}, hash = {1} WHERE sequence = {2}",
                rewritten.ActorName, AuditHash.Compute(rewritten), rewritten.Sequence);
        }

        var error = await Assert.ThrowsAsync<AuditWriteException>(() => Writer.WriteCheckpointAsync());
        Assert.Contains($"entry {written[^1].Sequence}, written by this process, now has another hash", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AuditWriteException>(() => Writer.WriteCheckpointAsync()); // and stays refused

        await using var read = await _store.Contexts.CreateDbContextAsync();
        var detected = await read.AuditEntries.SingleAsync(e => e.Action == "audit.tampering_detected");
        Assert.Equal("failure", detected.Outcome);
        Assert.Equal(written[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), detected.TargetId);
        Assert.False(await read.AuditCheckpoints.AnyAsync(c => c.Sequence >= head));
    }

    [Fact]
    public async Task SaveChangesAsync_JoinedTransactionRolledBack_NoFalseTamperingAndCheckpointsContinue()
    {
        await Writer.AppendAsync(Event("before"));
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await Writer.SaveChangesAsync(db, Event("rolled back"));
            await transaction.RollbackAsync();
        }

        await Writer.AppendAsync(Event("after"));
        await Writer.WriteCheckpointAsync();

        await using var read = await _store.Contexts.CreateDbContextAsync();
        Assert.False(await read.AuditEntries.AnyAsync(e => e.Action == "audit.tampering_detected"));
        Assert.False(await read.AuditEntries.AnyAsync(e => e.TargetId == "rolled back"));
        Assert.True((await _store.Get<AuditVerifier>().VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Start_SigningKeyRowDeletedWhileCheckpointsExist_Refused()
    {
        await Writer.WriteCheckpointAsync();
        await using (var db = await _store.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("DELETE FROM system_secrets WHERE name = 'audit.checkpoint-signing-key'");
        }

        await _store.DisposeAsync();
        var error = await Assert.ThrowsAsync<Admin.Infrastructure.Hosting.AdminStartupException>(() => TestStore.StartAsync(_data.Path, _secret));
        Assert.Contains("signing key is missing although 1 signed checkpoints exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendWorker_KilledDuringBurst_EveryAcknowledgedEntrySurvivesAndChainVerifies()
    {
        await _store.DisposeAsync();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.Tests.dll"), "append-worker", _data.Path, _secret })
        {
            start.ArgumentList.Add(arg);
        }

        var acknowledged = new List<(long Sequence, string Hash)>();
        using (var worker = Process.Start(start)!)
        {
            // Read acknowledgements until a good number are in, then kill -9 in the middle of the burst.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (acknowledged.Count < 3000 && await worker.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                var parts = line.Split(' ');
                acknowledged.Add((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]));
            }

            worker.Kill(entireProcessTree: true); // SIGKILL: no graceful shutdown, no flush
            await worker.WaitForExitAsync();
        }

        Assert.True(acknowledged.Count >= 3000, "the worker did not acknowledge enough entries");
        SqliteConnection.ClearAllPools();
        _store = await TestStore.StartAsync(_data.Path, _secret);
        await using var db = await _store.Contexts.CreateDbContextAsync();
        var lastAcknowledged = acknowledged[^1].Sequence;
        var stored = await db.AuditEntries.Where(e => e.Sequence <= lastAcknowledged)
            .ToDictionaryAsync(e => e.Sequence, e => e.Hash);
        foreach (var (sequence, hash) in acknowledged)
        {
            Assert.Equal(hash, stored[sequence]);
        }

        var result = await _store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(result.Ok, result.Summary);
        Assert.True(result.HeadSequence >= acknowledged[^1].Sequence);
    }
}
