using System.Data;
using System.Data.Common;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CodeRaft.Admin.Features.Audit.Chain;

/// <summary>
/// Plain SQL for the writer's hot path, on the connection and transaction of the caller's context. Same SQL on
/// SQLite and PostgreSQL; every value is a parameter.
/// </summary>
internal static class AuditRows
{
    private const string InsertEntry =
        "INSERT INTO audit_entries (sequence, timestamp, product, category, action, outcome, actor_type, actor_id, actor_name, " +
        "source_ip, target_type, target_id, details, previous_hash, hash) " +
        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14)";

    private const string InsertCheckpoint =
        "INSERT INTO audit_checkpoints (sequence, hash, timestamp, key_id, signature) VALUES (@p0, @p1, @p2, @p3, @p4)";

    public static async Task<(long Sequence, string Hash)> ReadHeadAsync(AdminDbContext db, CancellationToken cancellationToken)
    {
        await using var command = Command(db, "SELECT sequence, hash FROM audit_entries ORDER BY sequence DESC LIMIT 1", 0);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditHash.Genesis);
    }

    public static async Task InsertAsync(AdminDbContext db, IReadOnlyList<AuditEntry> entries, IReadOnlyList<AuditCheckpoint> checkpoints, CancellationToken cancellationToken)
    {
        await using (var command = Command(db, InsertEntry, 15))
        {
            if (entries.Count > 1)
            {
                await command.PrepareAsync(cancellationToken);
            }

            foreach (var e in entries)
            {
                Set(command, e.Sequence, e.Timestamp, e.Product, e.Category, e.Action, e.Outcome, e.ActorType, e.ActorId, e.ActorName,
                    e.SourceIp, e.TargetType, e.TargetId, e.Details, e.PreviousHash, e.Hash);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (checkpoints.Count == 0)
        {
            return;
        }

        await using var checkpoint = Command(db, InsertCheckpoint, 5);
        foreach (var c in checkpoints)
        {
            Set(checkpoint, c.Sequence, c.Hash, c.Timestamp, c.KeyId, c.Signature);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static DbCommand Command(AdminDbContext db, string sql, int parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        for (var i = 0; i < parameters; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            parameter.DbType = i == 0 ? DbType.Int64 : DbType.String;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static void Set(DbCommand command, long sequence, params string[] values)
    {
        command.Parameters[0].Value = sequence;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i + 1].Value = values[i];
        }
    }
}
