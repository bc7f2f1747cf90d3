using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CodeRaft.Admin.Infrastructure.Data;

/// <summary>
/// Every SQLite connection runs with synchronous=FULL: in WAL mode a commit is fsynced before it returns, so an
/// acknowledged audit entry survives a crash or power loss, not only a process kill.
/// Applied on every open, not once per pooled physical connection: it costs about 2 µs (docs/benchmarks.md,
/// section 4), and re-applying it means a pooled connection on which something lowered it never carries one of our commits.
/// </summary>
public sealed class SqliteDurabilityInterceptor : DbConnectionInterceptor
{
    public static SqliteDurabilityInterceptor Instance { get; } = new();

    private SqliteDurabilityInterceptor()
    {
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous = FULL;";
        command.ExecuteNonQuery();
    }
}
