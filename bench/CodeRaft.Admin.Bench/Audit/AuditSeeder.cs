using System.Diagnostics;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using Microsoft.Data.Sqlite;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>What the chain holds after seeding, for the baselines that must cover the same records.</summary>
/// <param name="Count">Entries in the chain: those the store wrote itself on first start, plus the seeded ones.</param>
/// <param name="RecordSizes">The v1 encoded size of every entry in the chain (only when asked for).</param>
/// <param name="Entries">The entries themselves (only when asked for).</param>
internal sealed record SeedResult(long Count, long Seeded, TimeSpan Elapsed, long EncodedBytes, int Checkpoints, long Denied, long Users,
    int[]? RecordSizes, AuditEntry[]? Entries);

/// <summary>
/// Fills a fresh store's chain up to a given length, fast, after the entries the store wrote itself on first start
/// (the signing key's creation): rows from <see cref="AuditRows"/>, chained with the app's
/// <see cref="AuditHash"/>, a checkpoint at every 1,000th sequence signed by the store's own
/// <see cref="AuditCheckpointSigner"/> (exactly what the writer produces), inserted with prepared ADO.NET commands
/// in transactions of <see cref="RowsPerTransaction"/>. Seeding is not measured against a goal, so its connection
/// skips the fsync (synchronous=OFF) and uses a large page cache; it is not pooled, so those settings never reach
/// a connection the measured code uses.
/// </summary>
internal static class AuditSeeder
{
    public const int RowsPerTransaction = 50_000;

    private static readonly string[] _entryColumns =
    [
        "sequence", "timestamp", "product", "category", "action", "outcome", "actor_type", "actor_id", "actor_name",
        "source_ip", "target_type", "target_id", "details", "previous_hash", "hash",
    ];

    private static readonly string[] _checkpointColumns = ["sequence", "timestamp", "hash", "key_id", "signature"];

    public static string InsertEntrySql => Insert("audit_entries", _entryColumns);

    public static SeedResult Seed(BenchStore store, int totalEntries, bool keepRecords, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var connectionString = new SqliteConnectionStringBuilder(store.ConnectionString) { Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
        var existing = ReadChain(connection);
        if (existing.Count >= totalEntries || existing.Count > 1000 || existing.Select((e, i) => e.Sequence != i + 1).Any(gap => gap))
        {
            throw new Startup.BenchmarkFailedException($"The store to seed is not fresh: it holds {existing.Count} audit entries.");
        }

        using var insertEntry = Prepare(connection, InsertEntrySql, _entryColumns.Length);
        using var insertCheckpoint = Prepare(connection, Insert("audit_checkpoints", _checkpointColumns), _checkpointColumns.Length);

        var rows = new AuditRows(seed: totalEntries);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var sizes = keepRecords ? new int[totalEntries] : null;
        var entries = keepRecords ? new AuditEntry[totalEntries] : null;
        var previousHash = existing.Count == 0 ? AuditHash.Genesis : existing[^1].Hash;
        long encodedBytes = 0, denied = 0, users = 0;
        var checkpoints = 0;
        foreach (var entry in existing)
        {
            Count(entry);
        }

        SqliteTransaction? transaction = null;
        try
        {
            for (long sequence = existing.Count + 1; sequence <= totalEntries; sequence++)
            {
                if (transaction is null)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    transaction = connection.BeginTransaction();
                    insertEntry.Transaction = transaction;
                    insertCheckpoint.Transaction = transaction;
                }

                var entry = rows.Next(AuditHash.FormatTimestamp(start.AddMilliseconds(sequence * 750)));
                AuditRows.Chain(entry, sequence, previousHash);
                previousHash = entry.Hash;
                Bind(insertEntry, entry.Sequence, entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType,
                    entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details, entry.PreviousHash, entry.Hash);
                insertEntry.ExecuteNonQuery();
                Count(entry);

                if (sequence % 1000 == 0)
                {
                    var checkpoint = store.Signer.Create(sequence, entry.Hash, entry.Timestamp);
                    Bind(insertCheckpoint, checkpoint.Sequence, checkpoint.Timestamp, checkpoint.Hash, checkpoint.KeyId, checkpoint.Signature);
                    insertCheckpoint.ExecuteNonQuery();
                    checkpoints++;
                }

                if (sequence % RowsPerTransaction == 0 || sequence == totalEntries)
                {
                    transaction.Commit();
                    transaction.Dispose();
                    transaction = null;
                }
            }
        }
        finally
        {
            transaction?.Dispose();
        }

        // Leave the file as a running portal would find it: the WAL folded back into the database.
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        return new SeedResult(totalEntries, totalEntries - existing.Count, stopwatch.Elapsed, encodedBytes, checkpoints, denied, users, sizes, entries);

        void Count(AuditEntry entry)
        {
            var size = AuditRows.EncodedSize(entry);
            encodedBytes += size;
            denied += entry.Outcome == AuditVocabulary.Denied ? 1 : 0;
            users += entry.Category == "users" ? 1 : 0;
            if (sizes is not null && entries is not null)
            {
                sizes[entry.Sequence - 1] = size;
                entries[entry.Sequence - 1] = entry;
            }
        }
    }

    /// <summary>The (few) entries a fresh store already holds, in order.</summary>
    private static List<AuditEntry> ReadChain(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", _entryColumns)} FROM audit_entries ORDER BY sequence";
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(new AuditEntry
            {
                Sequence = reader.GetInt64(0), Timestamp = reader.GetString(1), Product = reader.GetString(2), Category = reader.GetString(3),
                Action = reader.GetString(4), Outcome = reader.GetString(5), ActorType = reader.GetString(6), ActorId = reader.GetString(7),
                ActorName = reader.GetString(8), SourceIp = reader.GetString(9), TargetType = reader.GetString(10), TargetId = reader.GetString(11),
                Details = reader.GetString(12), PreviousHash = reader.GetString(13), Hash = reader.GetString(14),
            });
        }

        return entries;
    }

    public static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameterCount)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameterCount; i++)
        {
            command.Parameters.Add(new SqliteParameter($"@p{i}", null));
        }

        command.Prepare();
        return command;
    }

    public static void Bind(SqliteCommand command, long first, params ReadOnlySpan<string> rest)
    {
        command.Parameters[0].Value = first;
        for (var i = 0; i < rest.Length; i++)
        {
            command.Parameters[i + 1].Value = rest[i];
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static string Insert(string table, string[] columns) =>
        $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
}
