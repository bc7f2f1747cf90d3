using System.Diagnostics;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.Data.Sqlite;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// Goal 1: durable single appends reach at least half the throughput of raw prepared ADO.NET inserting the same row
/// with the same durability. Goal 2: batched appends reach at least 5x single appends. The writer runs on a fresh
/// real store (SQLite file, WAL, synchronous=FULL through the app's interceptor); the baseline writes into its own file
/// database with the store's very DDL for audit_entries (table, indexes, triggers) and the same PRAGMAs. The paths
/// that only explain the gap (a replica of the writer's statements, a what-if, the EF profile) use a second store.
/// </summary>
internal static class AppendGoals
{
    public const double MinimumSingleRatio = 0.50;
    public const double MinimumBatchSpeedup = 5.0;

    private const int Rows = 1000;
    private const int RowsPerRound = 100;
    private const int WarmupRounds = 10;
    private const int BatchPasses = 5;
    private const int SinglesPerPass = 100;
    private const int Batches100PerPass = 4;
    private const int Templates = 64;
    private const int ConcurrentTasks = 16;
    private const int AppendsPerTask = 25;

    public static async Task<int> RunAsync(string root, string masterSecret, CancellationToken cancellationToken)
    {
        await using var store = await BenchStore.StartAsync(Path.Combine(root, "append-store"), masterSecret, cancellationToken);
        // The replica and the profile write into a second store of the same shape: rows appended under the writer's
        // feet would make it look up the entry it last wrote (its continuity check) on every append.
        await using var sideStore = await BenchStore.StartAsync(Path.Combine(root, "side-store"), masterSecret, cancellationToken);
        using var baseline = RawInsertBaseline.Create(Path.Combine(root, "append-baseline", "baseline.db"), store.ConnectionString, sameSchema: true);
        using var bare = RawInsertBaseline.Create(Path.Combine(root, "append-baseline", "bare.db"), store.ConnectionString, sameSchema: false);
        var storeJournal = await store.ReadPragmaAsync("journal_mode", cancellationToken);
        var storeSynchronous = await store.ReadPragmaAsync("synchronous", cancellationToken);
        Console.WriteLine(Invariant($"audit 1+2: appends. Store: journal_mode={storeJournal}, synchronous={storeSynchronous} (2 = FULL); baseline: journal_mode={baseline.JournalMode}, synchronous={baseline.Synchronous}."));
        var exitCode = 0;
        if (storeJournal != "wal" || storeSynchronous != "2")
        {
            Console.Error.WriteLine("The store does not run with journal_mode=wal and synchronous=FULL, so the baseline's durability is not the same; goal 1 is not comparable.");
            exitCode = 1;
        }

        var templateRows = new AuditRows(seed: 7);
        var templates = Enumerable.Range(0, Templates).Select(_ => templateRows.Next("")).ToArray();
        var events = templates.Select(AuditRows.ToEvent).ToArray();
        var replica = new WriterReplica(sideStore);
        using var dedicated = new DedicatedAppender(sideStore);

        // Warm-up: EF model and query caches, connection pools, SQLite page caches, and time for the JIT's tiered
        // compilation to replace the first, unoptimized code (a server that has run a while has only optimized code).
        for (var i = 0; i < WarmupRounds; i++)
        {
            await MeasureSinglesAsync(RowsPerRound);
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        // Interleaved row by row, so a burst of I/O from elsewhere on the machine hits every path alike.
        var (raw, bareRaw, replicated, dedicatedTimes, appended, transactional) = await MeasureSinglesAsync(Rows);
        Console.WriteLine(Invariant($"  {Rows:N0} rows per path, interleaved row by row in rotating order (after {WarmupRounds} x {RowsPerRound} warm-up rows); each row is its own durable commit. Per-row latency in us: mean / p50 / p95 / max."));
        Print("baseline: raw prepared INSERT, own BEGIN IMMEDIATE transaction per row, the store's DDL (PK, 5 indexes, append-at-head trigger)", raw);
        Print("reference: the same into a bare table (primary key only: no secondary indexes, no triggers)", bareRaw);
        Print("raw ADO.NET replica of the writer's statements (pooled open, PRAGMA, BEGIN IMMEDIATE, read head, hash, INSERT, COMMIT)", replicated);
        Print("what-if: the same statements on one long-lived connection, head query and INSERT prepared once", dedicatedTimes);
        Print("AuditWriter.AppendAsync, sequential (group-commit queue)", appended);
        Print("AuditWriter.SaveChangesAsync(context from the factory, 1 event) (transactional path)", transactional);
        var singleRatio = Median(raw) / Median(appended);
        var singleMet = singleRatio >= MinimumSingleRatio;
        Console.WriteLine(Invariant(
            $"audit single appends: AppendAsync throughput = {singleRatio:F2} x raw prepared INSERT at the median per-row latency (goal >= {MinimumSingleRatio:F2}): {Verdict(singleMet)}; at the mean: {raw.Average() / appended.Average():F2} x"));
        Console.WriteLine(Invariant(
            $"audit single appends (transactional path): SaveChangesAsync throughput = {Median(raw) / Median(transactional):F2} x raw prepared INSERT at the median (mean: {raw.Average() / transactional.Average():F2} x) (no goal stated; for reference)"));
        exitCode = singleMet ? exitCode : 1;
        Console.WriteLine(Invariant(
            $"audit single appends (decomposition, medians, us per durable append): bare table {Median(bareRaw):F0} -> the store's DDL {Median(raw):F0} (indexes + trigger +{Median(raw) - Median(bareRaw):F0}) -> the writer's statements in raw ADO.NET {Median(replicated):F0} (+{Median(replicated) - Median(raw):F0}) -> EF Core, transactional path {Median(transactional):F0} (+{Median(transactional) - Median(replicated):F0}) -> AppendAsync through the queue {Median(appended):F0} (+{Median(appended) - Median(transactional):F0})"));
        Console.WriteLine(Invariant(
            $"audit single appends (what-if): the writer's statements on one long-lived connection, prepared once = {Median(raw) / Median(dedicatedTimes):F2} x raw prepared INSERT at the median (no goal stated; shows what a dedicated connection in the group-commit loop could reach)"));
        await AppendProfile.RunAsync(sideStore, templates, events, cancellationToken);

        // Goal 2: batches through the same queue against sequential single appends, interleaved pass by pass.
        var batch100 = Enumerable.Range(0, 100).Select(i => events[i % Templates]).ToArray();
        var batch1000 = Enumerable.Range(0, 1000).Select(i => events[i % Templates]).ToArray();
        await store.Writer.AppendBatchAsync(batch100, cancellationToken);
        await store.Writer.AppendBatchAsync(batch1000, cancellationToken);
        var singleSeconds = 0.0;
        var batch100Seconds = 0.0;
        var batch1000Seconds = 0.0;
        for (var pass = 0; pass < BatchPasses; pass++)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < SinglesPerPass; i++)
            {
                await store.Writer.AppendAsync(events[i % Templates], cancellationToken);
            }

            singleSeconds += stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            for (var i = 0; i < Batches100PerPass; i++)
            {
                await store.Writer.AppendBatchAsync(batch100, cancellationToken);
            }

            batch100Seconds += stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            await store.Writer.AppendBatchAsync(batch1000, cancellationToken);
            batch1000Seconds += stopwatch.Elapsed.TotalSeconds;
        }

        var singleRate = BatchPasses * SinglesPerPass / singleSeconds;
        Console.WriteLine(Invariant(
            $"  {BatchPasses} passes, each: {SinglesPerPass} sequential AppendAsync, {Batches100PerPass} AppendBatchAsync of 100, 1 AppendBatchAsync of 1000. Sequential AppendAsync here: {BatchPasses * SinglesPerPass} entries in {singleSeconds:F3} s = {singleRate:N0} entries/s"));
        foreach (var (size, count, seconds) in (ReadOnlySpan<(int, int, double)>)[(100, BatchPasses * Batches100PerPass, batch100Seconds), (1000, BatchPasses, batch1000Seconds)])
        {
            var batchRate = size * count / seconds;
            var speedup = batchRate / singleRate;
            var met = speedup >= MinimumBatchSpeedup;
            Console.WriteLine(Invariant(
                $"  AppendBatchAsync, {count} batches of {size}: {size * count:N0} entries in {seconds:F3} s = {batchRate:N0} entries/s ({1e6 * seconds / count:N0} us per batch commit)"));
            Console.WriteLine(Invariant($"audit batched appends ({size}): AppendBatchAsync throughput = {speedup:F1} x sequential AppendAsync (goal >= {MinimumBatchSpeedup:F1}): {Verdict(met)}"));
            exitCode = met ? exitCode : 1;
        }

        // Reference: 16 concurrent callers of single appends share transactions through the group-commit queue.
        var commits = 0;
        void CountCommit(long _) => Interlocked.Increment(ref commits);
        store.Writer.Appended += CountCommit;
        var concurrent = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, ConcurrentTasks).Select(task => Task.Run(async () =>
        {
            for (var i = 0; i < AppendsPerTask; i++)
            {
                await store.Writer.AppendAsync(events[((task * AppendsPerTask) + i) % Templates], cancellationToken);
            }
        }, cancellationToken)));
        var concurrentElapsed = concurrent.Elapsed;
        store.Writer.Appended -= CountCommit;
        var concurrentRate = ConcurrentTasks * AppendsPerTask / concurrentElapsed.TotalSeconds;
        Console.WriteLine(Invariant($"  AppendAsync from {ConcurrentTasks} concurrent tasks x {AppendsPerTask}: {ConcurrentTasks * AppendsPerTask} entries in {concurrentElapsed.TotalSeconds:F3} s = {concurrentRate:N0} entries/s in {commits} commits ({(double)ConcurrentTasks * AppendsPerTask / Math.Max(1, commits):F1} entries per commit)"));
        Console.WriteLine(Invariant($"audit concurrent single appends: {ConcurrentTasks} tasks = {concurrentRate / singleRate:F1} x sequential AppendAsync (no goal stated; for reference)"));

        // Sanity: everything written above (the replica's and the profile's rows too) forms valid chains.
        foreach (var (name, written) in new[] { ("append store", store), ("side store", sideStore) })
        {
            var check = await written.Verifier.VerifyAsync(cancellationToken: cancellationToken);
            Console.WriteLine(Invariant($"  sanity: the {name} verifies: {check.Summary}"));
            if (!check.Ok)
            {
                exitCode = 1;
            }
        }

        return exitCode;

        async Task<(List<double> Raw, List<double> Bare, List<double> Replica, List<double> Dedicated, List<double> Append, List<double> Transactional)> MeasureSinglesAsync(int rows)
        {
            var prepared = baseline.PrepareRows(templates, rows);
            var preparedBare = bare.PrepareRows(templates, rows);
            List<double> rawTimes = [], bareTimes = [], replicaTimes = [], dedicatedTimes = [], appendTimes = [], transactionalTimes = [];
            var index = 0;
            (List<double> Times, Func<ValueTask> Step)[] paths =
            [
                (rawTimes, () => { baseline.InsertDurably(prepared[index]); return ValueTask.CompletedTask; }),
                (bareTimes, () => { bare.InsertDurably(preparedBare[index]); return ValueTask.CompletedTask; }),
                (replicaTimes, () => { replica.Append(templates[index % Templates]); return ValueTask.CompletedTask; }),
                (dedicatedTimes, () => { dedicated.Append(templates[index % Templates]); return ValueTask.CompletedTask; }),
                (appendTimes, async () => await store.Writer.AppendAsync(events[index % Templates], cancellationToken)),
                (transactionalTimes, async () =>
                {
                    await using var db = await store.Contexts.CreateDbContextAsync(cancellationToken);
                    await store.Writer.SaveChangesAsync(db, events[index % Templates], cancellationToken);
                }),
            ];
            for (index = 0; index < rows; index++)
            {
                // Each row starts with another path, so no path always follows the same one (e.g. right after an fsync).
                for (var p = 0; p < paths.Length; p++)
                {
                    var (times, step) = paths[(index + p) % paths.Length];
                    var started = Stopwatch.GetTimestamp();
                    await step();
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }
            }

            return (rawTimes, bareTimes, replicaTimes, dedicatedTimes, appendTimes, transactionalTimes);
        }
    }

    private static void Print(string label, List<double> micros) => Console.WriteLine(Invariant(
        $"  {label}: {micros.Count:N0} rows, {1e6 / micros.Average():N0} rows/s; {micros.Average():N0} / {Median(micros):N0} / {Percentile(micros, 95):N0} / {micros.Max():N0} us"));

    /// <summary>
    /// The baseline: one open connection, one prepared INSERT of the same 15 columns, each row in its own
    /// BEGIN IMMEDIATE transaction, WAL + synchronous=FULL (one WAL fsync per commit, as in the store).
    /// </summary>
    private sealed class RawInsertBaseline : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private long _sequence;
        private string _previousHash = AuditHash.Genesis;

        private RawInsertBaseline(SqliteConnection connection)
        {
            _connection = connection;
            _insert = AuditSeeder.Prepare(connection, AuditSeeder.InsertEntrySql, 15);
            JournalMode = Convert.ToString(AuditSeeder.Scalar(connection, "PRAGMA journal_mode"), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            Synchronous = Convert.ToString(AuditSeeder.Scalar(connection, "PRAGMA synchronous"), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        public string JournalMode { get; }

        public string Synchronous { get; }

        /// <summary>
        /// A file database with the store's own DDL for audit_entries: table, indexes and triggers
        /// (<paramref name="sameSchema"/>), or the table alone.
        /// </summary>
        public static RawInsertBaseline Create(string path, string storeConnectionString, bool sameSchema)
        {
            var ddl = new List<string>();
            using (var store = new SqliteConnection(new SqliteConnectionStringBuilder(storeConnectionString) { Pooling = false }.ToString()))
            {
                store.Open();
                using var command = store.CreateCommand();
                command.CommandText = "SELECT sql FROM sqlite_master WHERE tbl_name = 'audit_entries' AND sql IS NOT NULL AND (@all OR type = 'table') ORDER BY type = 'table' DESC";
                command.Parameters.AddWithValue("@all", sameSchema);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    ddl.Add(reader.GetString(0));
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            AuditSeeder.Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
            foreach (var statement in ddl)
            {
                AuditSeeder.Execute(connection, statement);
            }

            return new RawInsertBaseline(connection);
        }

        /// <summary>The rows to insert, chained and hashed up front: the baseline times the insert and the commit only.</summary>
        public List<AuditEntry> PrepareRows(AuditEntry[] templates, int count)
        {
            var timestamp = AuditHash.FormatTimestamp(DateTimeOffset.UtcNow);
            var rows = new List<AuditEntry>(count);
            for (var i = 0; i < count; i++)
            {
                var row = Copy(templates[i % templates.Length], timestamp);
                AuditRows.Chain(row, ++_sequence, _previousHash);
                _previousHash = row.Hash;
                rows.Add(row);
            }

            return rows;
        }

        public void InsertDurably(AuditEntry row)
        {
            using var transaction = _connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
            _insert.Transaction = transaction;
            AuditSeeder.Bind(_insert, row.Sequence, row.Timestamp, row.Product, row.Category, row.Action, row.Outcome, row.ActorType,
                row.ActorId, row.ActorName, row.SourceIp, row.TargetType, row.TargetId, row.Details, row.PreviousHash, row.Hash);
            _insert.ExecuteNonQuery();
            transaction.Commit();
        }

        public void Dispose()
        {
            _insert.Dispose();
            _connection.Dispose();
        }
    }

    private static AuditEntry Copy(AuditEntry template, string timestamp) => new()
    {
        Timestamp = timestamp,
        Product = template.Product,
        Category = template.Category,
        Action = template.Action,
        Outcome = template.Outcome,
        ActorType = template.ActorType,
        ActorId = template.ActorId,
        ActorName = template.ActorName,
        SourceIp = template.SourceIp,
        TargetType = template.TargetType,
        TargetId = template.TargetId,
        Details = template.Details,
    };
}
