using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.Data.Sqlite;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// What <see cref="AuditWriter"/> asks of SQLite for one append, written in plain ADO.NET on the store's pooled
/// connection string: open, PRAGMA synchronous=FULL (the interceptor), BEGIN IMMEDIATE, read the head, hash,
/// INSERT (plus a signed checkpoint at every 1,000th sequence), COMMIT. The gap between this and the raw
/// baseline is the extra statements; the gap between this and AppendAsync is EF Core and the queue.
/// </summary>
internal sealed class WriterReplica(BenchStore store)
{
    public void Append(AuditEntry template)
    {
        using var connection = new SqliteConnection(store.ConnectionString);
        connection.Open();
        AuditSeeder.Execute(connection, "PRAGMA synchronous = FULL;");
        using var transaction = connection.BeginTransaction(deferred: false);
        long sequence = 0;
        var previousHash = AuditHash.Genesis;
        using (var head = connection.CreateCommand())
        {
            head.Transaction = transaction;
            head.CommandText = "SELECT sequence, hash FROM audit_entries ORDER BY sequence DESC LIMIT 1";
            using var reader = head.ExecuteReader();
            if (reader.Read())
            {
                sequence = reader.GetInt64(0);
                previousHash = reader.GetString(1);
            }
        }

        var row = AppendProfile.NewEntry(template, sequence + 1, previousHash);
        using (var insert = AuditSeeder.Prepare(connection, AuditSeeder.InsertEntrySql, 15))
        {
            insert.Transaction = transaction;
            AuditSeeder.Bind(insert, row.Sequence, row.Timestamp, row.Product, row.Category, row.Action, row.Outcome, row.ActorType,
                row.ActorId, row.ActorName, row.SourceIp, row.TargetType, row.TargetId, row.Details, row.PreviousHash, row.Hash);
            insert.ExecuteNonQuery();
        }

        if (row.Sequence % 1000 == 0)
        {
            InsertCheckpoint(transaction, store.Signer.Create(row.Sequence, row.Hash, row.Timestamp));
        }

        transaction.Commit();
    }

    /// <summary>The signed checkpoint the writer adds at every 1,000th sequence, in the entry's transaction.</summary>
    public static void InsertCheckpoint(SqliteTransaction transaction, AuditCheckpoint checkpoint)
    {
        using var insert = transaction.Connection!.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO audit_checkpoints (sequence, timestamp, hash, key_id, signature) VALUES (@s, @t, @h, @k, @g)";
        insert.Parameters.AddWithValue("@s", checkpoint.Sequence);
        insert.Parameters.AddWithValue("@t", checkpoint.Timestamp);
        insert.Parameters.AddWithValue("@h", checkpoint.Hash);
        insert.Parameters.AddWithValue("@k", checkpoint.KeyId);
        insert.Parameters.AddWithValue("@g", checkpoint.Signature);
        insert.ExecuteNonQuery();
    }
}

/// <summary>
/// A what-if for the group-commit loop, which is a single reader and could own its connection: one open connection
/// (PRAGMA synchronous=FULL applied once) with the head query and the INSERT prepared once; per append: BEGIN
/// IMMEDIATE, head, hash, INSERT (+ checkpoint when due), COMMIT. Same statements as <see cref="WriterReplica"/>,
/// minus the per-append open, PRAGMA and statement compilation.
/// </summary>
internal sealed class DedicatedAppender : IDisposable
{
    private readonly BenchStore _store;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _head;
    private readonly SqliteCommand _insert;

    public DedicatedAppender(BenchStore store)
    {
        _store = store;
        _connection = new SqliteConnection(
            new SqliteConnectionStringBuilder(store.ConnectionString) { Pooling = false }.ToString());
        _connection.Open();
        AuditSeeder.Execute(_connection, "PRAGMA synchronous = FULL;");
        _head = AuditSeeder.Prepare(_connection, "SELECT sequence, hash FROM audit_entries ORDER BY sequence DESC LIMIT 1", 0);
        _insert = AuditSeeder.Prepare(_connection, AuditSeeder.InsertEntrySql, 15);
    }

    public void Append(AuditEntry template)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        _head.Transaction = transaction;
        _insert.Transaction = transaction;
        long sequence = 0;
        var previousHash = AuditHash.Genesis;
        using (var reader = _head.ExecuteReader())
        {
            if (reader.Read())
            {
                sequence = reader.GetInt64(0);
                previousHash = reader.GetString(1);
            }
        }

        var entry = AppendProfile.NewEntry(template, sequence + 1, previousHash);
        AuditSeeder.Bind(_insert, entry.Sequence, entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType,
            entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details, entry.PreviousHash, entry.Hash);
        _insert.ExecuteNonQuery();
        if (entry.Sequence % 1000 == 0)
        {
            WriterReplica.InsertCheckpoint(transaction, _store.Signer.Create(entry.Sequence, entry.Hash, entry.Timestamp));
        }

        transaction.Commit();
    }

    public void Dispose()
    {
        _head.Dispose();
        _insert.Dispose();
        _connection.Dispose();
    }
}
