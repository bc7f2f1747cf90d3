using System.Diagnostics;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.Data.Sqlite;

namespace CodeRaft.Admin.Bench.StepUp;

/// <summary>
/// What one step-up check asks of SQLite, in plain ADO.NET on a second store with the same DDL (so rows written here
/// never pass under the app's writer): BEGIN IMMEDIATE; read the user's encrypted key and lock; the conditional
/// once-per-step UPDATE; read the audit head; hash; INSERT the entry; COMMIT (synchronous=FULL). SQL only: the CPU
/// work (decrypt, TOTP, validation) is measured separately and is a few microseconds.
/// <list type="bullet">
/// <item><see cref="CheckDedicated"/>: one long-lived connection, statements prepared once — the floor of this stack.</item>
/// <item><see cref="CheckPooled"/>: a pooled open plus PRAGMA per check and every statement compiled per check, as
/// any code pays that creates its commands per operation (Microsoft.Data.Sqlite keeps prepared statements per command
/// object only, dotnet/efcore#14044).</item>
/// </list>
/// </summary>
internal sealed class StepUpFloor : IDisposable
{
    private const string SelectUser = "SELECT totp_secret, totp_locked_until FROM users WHERE id = @p0";
    private const string UpdateStep = "UPDATE users SET totp_last_step = @p0, totp_failures = 0, totp_locked_until = NULL WHERE id = @p1 AND totp_last_step < @p0";
    private const string SelectHead = "SELECT sequence, hash FROM audit_entries ORDER BY sequence DESC LIMIT 1";

    private readonly BenchStore _store;
    private readonly string _userId;
    private readonly AuditEntry _template;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _selectUser;
    private readonly SqliteCommand _update;
    private readonly SqliteCommand _head;
    private readonly SqliteCommand _insert;
    private long _step;

    /// <param name="userId">The user's key exactly as the store holds it (EF Core's SQLite provider stores a Guid as text).</param>
    public StepUpFloor(BenchStore store, string userId, long firstStep, AuditEntry template)
    {
        _store = store;
        _userId = userId;
        _step = firstStep;
        _template = template;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder(store.ConnectionString) { Pooling = false }.ToString());
        _connection.Open();
        AuditSeeder.Execute(_connection, "PRAGMA synchronous = FULL;");
        _selectUser = AuditSeeder.Prepare(_connection, SelectUser, 1);
        _update = AuditSeeder.Prepare(_connection, UpdateStep, 2);
        _head = AuditSeeder.Prepare(_connection, SelectHead, 0);
        _insert = AuditSeeder.Prepare(_connection, AuditSeeder.InsertEntrySql, 15);
    }

    /// <summary>The most recent dedicated check's COMMIT alone (the fsync of the WAL), in ms.</summary>
    public double LastCommitMilliseconds { get; private set; }

    public void CheckDedicated()
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        foreach (var command in (ReadOnlySpan<SqliteCommand>)[_selectUser, _update, _head, _insert])
        {
            command.Transaction = transaction;
        }

        Run(_selectUser, _update, _head, _insert);
        var commit = Stopwatch.GetTimestamp();
        transaction.Commit();
        LastCommitMilliseconds = Stopwatch.GetElapsedTime(commit).TotalMilliseconds;
    }

    public void CheckPooled()
    {
        using var connection = new SqliteConnection(_store.ConnectionString);
        connection.Open();
        AuditSeeder.Execute(connection, "PRAGMA synchronous = FULL;");
        using var transaction = connection.BeginTransaction(deferred: false);
        using var selectUser = Command(connection, transaction, SelectUser, 1);
        using var update = Command(connection, transaction, UpdateStep, 2);
        using var head = Command(connection, transaction, SelectHead, 0);
        using var insert = Command(connection, transaction, AuditSeeder.InsertEntrySql, 15);
        Run(selectUser, update, head, insert);
        transaction.Commit();
    }

    public void Dispose()
    {
        _selectUser.Dispose();
        _update.Dispose();
        _head.Dispose();
        _insert.Dispose();
        _connection.Dispose();
    }

    private void Run(SqliteCommand selectUser, SqliteCommand update, SqliteCommand head, SqliteCommand insert)
    {
        selectUser.Parameters[0].Value = _userId;
        using (var reader = selectUser.ExecuteReader())
        {
            if (!reader.Read() || reader.IsDBNull(0))
            {
                throw new InvalidOperationException("The floor's user has no TOTP key.");
            }
        }

        update.Parameters[0].Value = ++_step;
        update.Parameters[1].Value = _userId;
        if (update.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException("The floor's conditional UPDATE did not accept a new step.");
        }

        long sequence = 0;
        var previousHash = AuditHash.Genesis;
        using (var reader = head.ExecuteReader())
        {
            if (reader.Read())
            {
                sequence = reader.GetInt64(0);
                previousHash = reader.GetString(1);
            }
        }

        var entry = AppendProfile.NewEntry(_template, sequence + 1, previousHash);
        AuditSeeder.Bind(insert, entry.Sequence, entry.Timestamp, entry.Product, entry.Category, entry.Action, entry.Outcome, entry.ActorType,
            entry.ActorId, entry.ActorName, entry.SourceIp, entry.TargetType, entry.TargetId, entry.Details, entry.PreviousHash, entry.Hash);
        insert.ExecuteNonQuery();
        if (entry.Sequence % 1000 == 0)
        {
            WriterReplica.InsertCheckpoint(insert.Transaction!, _store.Signer.Create(entry.Sequence, entry.Hash, entry.Timestamp));
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < parameters; i++)
        {
            command.Parameters.Add(new SqliteParameter($"@p{i}", null));
        }

        return command;
    }
}
