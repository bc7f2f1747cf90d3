using System.Diagnostics;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Viewer;
using AuditPage = CodeRaft.Admin.Features.Audit.Viewer.AuditPage;
using Microsoft.Data.Sqlite;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// Goal 4, with 1,000,000 entries: a full verification under 5 s, and the viewer's first, middle, last and filtered
/// pages (page size 50) each under 100 ms at the 95th percentile, measured as server time: the duration of
/// <see cref="AuditQueryService.GetPageAsync"/>, which opens its own context and runs the head, page and "has newer"
/// queries. Baseline: the same three keyset statements, prepared, in raw ADO.NET on one open connection.
/// </summary>
internal static class ScaleGoal
{
    public const int Entries = 1_000_000;
    public const double MaximumVerifySeconds = 5.0;
    public const double MaximumPageP95Milliseconds = 100.0;
    private const int PageSize = 50;
    private const int VerifyRuns = 3;
    private const int WarmupCalls = 5;
    private const int MeasuredCalls = 50;

    private static readonly string _columns =
        "sequence, timestamp, product, category, action, outcome, actor_type, actor_id, actor_name, source_ip, target_type, target_id, details, previous_hash, hash";

    private sealed record Scenario(string Name, AuditFilter Filter, long? BeforeSequence);

    public static async Task<int> RunAsync(string directory, string masterSecret, CancellationToken cancellationToken)
    {
        await using var store = await BenchStore.StartAsync(directory, masterSecret, cancellationToken);
        var seed = AuditSeeder.Seed(store, Entries, keepRecords: false, cancellationToken);
        var fileBytes = Directory.GetFiles(directory, "*.db*").Sum(f => new FileInfo(f).Length);
        Console.WriteLine(Invariant(
            $"audit 4: chain of {seed.Count:N0} entries ({seed.Seeded:N0} seeded after the store's own) and {seed.Checkpoints:N0} signed checkpoints, seeded in {seed.Elapsed.TotalSeconds:F1} s ({seed.Seeded / seed.Elapsed.TotalSeconds:N0} rows/s, one transaction per {AuditSeeder.RowsPerTransaction:N0}); database {fileBytes / 1e6:N0} MB; {seed.Denied:N0} denied ({100.0 * seed.Denied / seed.Count:F1} %), {seed.Users:N0} in category users ({100.0 * seed.Users / seed.Count:F1} %)."));

        var exitCode = 0;
        var verify = new List<double>();
        for (var i = 0; i < VerifyRuns; i++)
        {
            verify.Add((await VerifyGoal.VerifyOnceAsync(store.Verifier, seed.Count, cancellationToken)).Seconds);
        }

        var verifyMedian = Median(verify);
        var verifyMet = verifyMedian < MaximumVerifySeconds;
        Console.WriteLine(Invariant(
            $"  AuditVerifier.VerifyAsync (full), {VerifyRuns} runs: [{Join(verify, "F2")}] s; median {verifyMedian:F2} s = {seed.Count / verifyMedian:N0} entries/s, {1e6 * verifyMedian / seed.Count:F2} us per entry"));
        Console.WriteLine(Invariant($"audit verify 1M: full verification {verifyMedian:F2} s median (goal < {MaximumVerifySeconds:F1} s): {Verdict(verifyMet)}"));
        exitCode = verifyMet ? exitCode : 1;

        Scenario[] scenarios =
        [
            new("first page", AuditFilter.None, null),
            new("middle page", AuditFilter.None, Entries / 2),
            new("last page", AuditFilter.None, PageSize + 1),
            new("outcome=denied, first", new AuditFilter { Outcome = AuditVocabulary.Denied }, null),
            new("outcome=denied, middle", new AuditFilter { Outcome = AuditVocabulary.Denied }, Entries / 2),
            new("category=users, first", new AuditFilter { Category = "users" }, null),
            new("category=users, middle", new AuditFilter { Category = "users" }, Entries / 2),
        ];

        using var raw = new RawPages(store.ConnectionString);
        Console.WriteLine(Invariant(
            $"  viewer pages of {PageSize}: {WarmupCalls} warm-up calls, then {MeasuredCalls} timed calls per scenario; AuditQueryService.GetPageAsync (EF, context per call) vs the same keyset statements prepared in raw ADO.NET"));
        foreach (var scenario in scenarios)
        {
            var ours = new List<double>();
            var baseline = new List<double>();
            for (var i = 0; i < WarmupCalls + MeasuredCalls; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                var page = await store.Queries.GetPageAsync(scenario.Filter, scenario.BeforeSequence, PageSize, cancellationToken);
                var oursMs = stopwatch.Elapsed.TotalMilliseconds;
                stopwatch.Restart();
                var rawPage = raw.GetPage(scenario.Filter, scenario.BeforeSequence, PageSize);
                var rawMs = stopwatch.Elapsed.TotalMilliseconds;
                if (i == 0)
                {
                    Check(scenario, page, rawPage);
                }

                if (i >= WarmupCalls)
                {
                    ours.Add(oursMs);
                    baseline.Add(rawMs);
                }
            }

            var p95 = Percentile(ours, 95);
            var rawP95 = Percentile(baseline, 95);
            var met = p95 < MaximumPageP95Milliseconds;
            Console.WriteLine(Invariant(
                $"  {scenario.Name}: GetPageAsync p50 {Percentile(ours, 50):F2} ms, p95 {p95:F2} ms, max {ours.Max():F2} ms; raw ADO.NET p50 {Percentile(baseline, 50):F2} ms, p95 {rawP95:F2} ms; plan: {raw.Plan(scenario.Filter, scenario.BeforeSequence)}"));
            Console.WriteLine(Invariant(
                $"audit page 1M ({scenario.Name}): p95 {p95:F2} ms = {p95 / rawP95:F1} x raw ADO.NET p95 (goal < {MaximumPageP95Milliseconds:F0} ms): {Verdict(met)}"));
            exitCode = met ? exitCode : 1;
        }

        return exitCode;
    }

    /// <summary>Both sides must return the same page, the right size, matching the filter.</summary>
    private static void Check(Scenario scenario, AuditPage page, List<AuditEntry> rawPage)
    {
        var same = page.Entries.Select(e => e.Sequence).SequenceEqual(rawPage.Take(PageSize).Select(e => e.Sequence));
        var matches = page.Entries.All(e => (scenario.Filter.Outcome is null || e.Outcome == scenario.Filter.Outcome)
            && (scenario.Filter.Category is null || e.Category == scenario.Filter.Category)
            && (scenario.BeforeSequence is null || e.Sequence < scenario.BeforeSequence));
        if (page.Entries.Count != PageSize || !same || !matches || page.HeadSequence != Entries)
        {
            throw new Startup.BenchmarkFailedException($"The page '{scenario.Name}' is not what was expected ({page.Entries.Count} entries, same as raw: {same}, matching the filter: {matches}).");
        }
    }

    /// <summary>The keyset statements GetPageAsync issues (head, page of N+1, has-newer), prepared on one open connection.</summary>
    private sealed class RawPages : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _head;
        private readonly Dictionary<string, SqliteCommand> _commands = [];

        public RawPages(string connectionString)
        {
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            _connection.Open();
            _head = Command("SELECT MAX(sequence) FROM audit_entries");
        }

        public List<AuditEntry> GetPage(AuditFilter filter, long? beforeSequence, int pageSize)
        {
            _ = _head.ExecuteScalar();
            var page = PageCommand(filter, beforeSequence);
            Bind(page, filter, beforeSequence);
            page.Parameters["@take"].Value = pageSize + 1;
            var entries = new List<AuditEntry>(pageSize + 1);
            using (var reader = page.ExecuteReader())
            {
                while (reader.Read())
                {
                    entries.Add(Read(reader));
                }
            }

            if (beforeSequence is not null && entries.Count > 0)
            {
                var newer = NewerCommand(filter);
                Bind(newer, filter, null);
                newer.Parameters["@after"].Value = entries[0].Sequence;
                _ = newer.ExecuteScalar();
            }

            return entries;
        }

        public string Plan(AuditFilter filter, long? beforeSequence)
        {
            using var explain = _connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + PageSql(filter, beforeSequence);
            foreach (var name in Names(filter, beforeSequence).Append("@take"))
            {
                explain.Parameters.AddWithValue(name, name switch { "@outcome" => (object?)filter.Outcome, "@category" => filter.Category, "@before" => beforeSequence, _ => PageSize + 1 });
            }

            using var reader = explain.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read())
            {
                lines.Add(reader.GetString(3));
            }

            return string.Join("; ", lines);
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            _head.Dispose();
            _connection.Dispose();
        }

        private static string Where(AuditFilter filter, string? sequenceCondition)
        {
            var conditions = new List<string>();
            if (filter.Outcome is not null)
            {
                conditions.Add("outcome = @outcome");
            }

            if (filter.Category is not null)
            {
                conditions.Add("category = @category");
            }

            if (sequenceCondition is not null)
            {
                conditions.Add(sequenceCondition);
            }

            return conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        }

        private static string PageSql(AuditFilter filter, long? beforeSequence) =>
            $"SELECT {_columns} FROM audit_entries{Where(filter, beforeSequence is null ? null : "sequence < @before")} ORDER BY sequence DESC LIMIT @take";

        private static IEnumerable<string> Names(AuditFilter filter, long? beforeSequence)
        {
            if (filter.Outcome is not null)
            {
                yield return "@outcome";
            }

            if (filter.Category is not null)
            {
                yield return "@category";
            }

            if (beforeSequence is not null)
            {
                yield return "@before";
            }
        }

        private SqliteCommand PageCommand(AuditFilter filter, long? beforeSequence)
        {
            var sql = PageSql(filter, beforeSequence);
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = Command(sql, [.. Names(filter, beforeSequence), "@take"]);
                _commands[sql] = command;
            }

            return command;
        }

        private SqliteCommand NewerCommand(AuditFilter filter)
        {
            var sql = $"SELECT EXISTS (SELECT 1 FROM audit_entries{Where(filter, "sequence > @after")})";
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = Command(sql, [.. Names(filter, null), "@after"]);
                _commands[sql] = command;
            }

            return command;
        }

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter(name, null));
            }

            command.Prepare();
            return command;
        }

        private static void Bind(SqliteCommand command, AuditFilter filter, long? beforeSequence)
        {
            if (filter.Outcome is not null)
            {
                command.Parameters["@outcome"].Value = filter.Outcome;
            }

            if (filter.Category is not null)
            {
                command.Parameters["@category"].Value = filter.Category;
            }

            if (beforeSequence is not null)
            {
                command.Parameters["@before"].Value = beforeSequence;
            }
        }

        private static AuditEntry Read(SqliteDataReader reader) => new()
        {
            Sequence = reader.GetInt64(0),
            Timestamp = reader.GetString(1),
            Product = reader.GetString(2),
            Category = reader.GetString(3),
            Action = reader.GetString(4),
            Outcome = reader.GetString(5),
            ActorType = reader.GetString(6),
            ActorId = reader.GetString(7),
            ActorName = reader.GetString(8),
            SourceIp = reader.GetString(9),
            TargetType = reader.GetString(10),
            TargetId = reader.GetString(11),
            Details = reader.GetString(12),
            PreviousHash = reader.GetString(13),
            Hash = reader.GetString(14),
        };
    }
}
