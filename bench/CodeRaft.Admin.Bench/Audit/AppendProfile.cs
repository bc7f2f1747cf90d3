using System.Diagnostics;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// Where the time of one durable append goes, for the analysis of goal 1: the writer's EF Core steps rebuilt one at a
/// time on the store's own context factory (same interceptors, same pooled connection string), plus the in-memory
/// work the writer does before it touches the database. Each step's rows are valid chain entries, so the store
/// still verifies afterwards.
/// </summary>
internal static class AppendProfile
{
    private const int Iterations = 200;
    private const int InMemoryIterations = 20_000;

    public static async Task RunAsync(BenchStore store, AuditEntry[] templates, AuditEvent[] events, CancellationToken cancellationToken)
    {
        var open = await TimeAsync(async () =>
        {
            await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
            await db.Database.OpenConnectionAsync(cancellationToken); // runs the durability interceptor's PRAGMA
        });
        var emptyTransaction = await TimeAsync(async () =>
        {
            await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        var headQuery = await TimeAsync(async () =>
        {
            await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            _ = await ReadHeadAsync(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        var index = 0;
        var fullEf = await TimeAsync(() => AppendThroughEfAsync(store, templates[index++ % templates.Length], savepoints: true, cancellationToken));
        var noSavepoint = await TimeAsync(() => AppendThroughEfAsync(store, templates[index++ % templates.Length], savepoints: false, cancellationToken));
        var hybrid = await TimeAsync(() => AppendHybridAsync(store, templates[index++ % templates.Length], cancellationToken));

        var validator = new AuditEventValidator();
        var validate = TimeInMemory(i => validator.Validate(events[i % events.Length]).IsValid);
        var serialize = TimeInMemory(i => AuditDetails.Serialize(events[i % events.Length].Details).Length > 0);

        Console.WriteLine(Invariant($"  profile of one durable append, EF Core steps rebuilt one at a time on the store's context factory (median of {Iterations} each, after a warm-up):"));
        Console.WriteLine(Invariant($"    context from the factory + open pooled connection (+ interceptor PRAGMA) {open:F0} us; + BEGIN IMMEDIATE/COMMIT, no rows {emptyTransaction:F0} us; + head query (LINQ) {headQuery:F0} us; + Add + SaveChangesAsync of the entry, durable COMMIT {fullEf:F0} us"));
        Console.WriteLine(Invariant($"    increments: transaction {emptyTransaction - open:F0} us, head query {headQuery - emptyTransaction:F0} us, SaveChanges + durable commit {fullEf - headQuery:F0} us"));
        Console.WriteLine(Invariant($"    what-if: the same without EF's automatic savepoint (AutoSavepointsEnabled = false) {noSavepoint:F0} us; EF transaction + compiled head query + the INSERT as a plain ADO.NET command on the context's connection {hybrid:F0} us"));
        Console.WriteLine(Invariant($"    in memory per event: AuditEventValidator {validate:F1} us, AuditDetails.Serialize {serialize:F1} us"));
    }

    private static async Task<double> TimeAsync(Func<Task> step)
    {
        for (var i = 0; i < Iterations; i++)
        {
            await step();
        }

        await Task.Delay(TimeSpan.FromMilliseconds(300)); // let tiered compilation catch up, as in the goal's warm-up

        var micros = new List<double>(Iterations);
        for (var i = 0; i < Iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await step();
            micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return Median(micros); // robust against a burst of I/O elsewhere on the machine
    }

    private static double TimeInMemory(Func<int, bool> step)
    {
        var ok = true;
        for (var i = 0; i < 1000; i++)
        {
            ok &= step(i);
        }

        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < InMemoryIterations; i++)
        {
            ok &= step(i);
        }

        var elapsed = stopwatch.Elapsed.TotalSeconds;
        return ok ? 1e6 * elapsed / InMemoryIterations : throw new Startup.BenchmarkFailedException("A benchmark event did not validate.");
    }

    /// <summary>The writer's EF steps for one entry (head, hash, Add, SaveChanges, checkpoint when due, commit).</summary>
    private static async Task AppendThroughEfAsync(BenchStore store, AuditEntry template, bool savepoints, CancellationToken cancellationToken)
    {
        await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = savepoints;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (sequence, previousHash) = await ReadHeadAsync(db, cancellationToken);
        var entry = NewEntry(template, sequence + 1, previousHash);
        if (entry.Sequence % 1000 == 0)
        {
            db.AuditCheckpoints.Add(store.Signer.Create(entry.Sequence, entry.Hash, entry.Timestamp));
        }

        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A possible standalone-append path: EF for the transaction, a compiled head query, plain prepared INSERTs.</summary>
    private static async Task AppendHybridAsync(BenchStore store, AuditEntry template, CancellationToken cancellationToken)
    {
        await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var head = await _compiledHead(db);
        var entry = NewEntry(template, (head?.Sequence ?? 0) + 1, head?.Hash ?? AuditHash.Genesis);
        var connection = db.Database.GetDbConnection();
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction.GetDbTransaction();
            insert.CommandText = AuditSeeder.InsertEntrySql;
            object[] values =
            [
                entry.Sequence, entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType,
                entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details, entry.PreviousHash, entry.Hash,
            ];
            for (var i = 0; i < values.Length; i++)
            {
                var parameter = insert.CreateParameter();
                parameter.ParameterName = $"@p{i}";
                parameter.Value = values[i];
                insert.Parameters.Add(parameter);
            }

            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (entry.Sequence % 1000 == 0)
        {
            db.AuditCheckpoints.Add(store.Signer.Create(entry.Sequence, entry.Hash, entry.Timestamp));
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static readonly Func<Infrastructure.Data.AdminDbContext, Task<HeadRow?>> _compiledHead = EF.CompileAsyncQuery(
        (Infrastructure.Data.AdminDbContext db) => db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new HeadRow(e.Sequence, e.Hash)).FirstOrDefault());

    private sealed record HeadRow(long Sequence, string Hash);

    public static AuditEntry NewEntry(AuditEntry template, long sequence, string previousHash)
    {
        var entry = new AuditEntry
        {
            Timestamp = AuditHash.FormatTimestamp(DateTimeOffset.UtcNow), Product = template.Product, Category = template.Category,
            Action = template.Action, Outcome = template.Outcome, ActorType = template.ActorType, ActorId = template.ActorId,
            ActorName = template.ActorName, SourceIp = template.SourceIp, TargetType = template.TargetType, TargetId = template.TargetId,
            Details = template.Details,
        };
        AuditRows.Chain(entry, sequence, previousHash);
        return entry;
    }

    /// <summary>The writer's head query, verbatim.</summary>
    private static async Task<(long Sequence, string Hash)> ReadHeadAsync(Infrastructure.Data.AdminDbContext db, CancellationToken cancellationToken)
    {
        var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(cancellationToken);
        return head is null ? (0, AuditHash.Genesis) : (head.Sequence, head.Hash);
    }
}
