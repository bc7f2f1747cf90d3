using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CodeRaft.Admin.Tests.Features.Audit.Chain;

/// <summary>The audit chain on a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditPostgresLaneTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _data.Dispose();

    private static AuditEvent Event(string target) => new() { Category = "test", Action = "test.appended", TargetId = target };

    [Fact]
    public async Task AppendAsync_ConcurrentWritersOnPostgres_OneLinearChain()
    {
        await using var store = await TestStore.StartAsync(_data.Path, _secret, await postgres.CreateDatabaseAsync());
        var writer = store.Get<AuditWriter>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++)
            {
                if (w % 2 == 0)
                {
                    await writer.AppendAsync(Event($"{w}-{i}"));
                }
                else
                {
                    await using var db = await store.Contexts.CreateDbContextAsync();
                    await writer.SaveChangesAsync(db, Event($"{w}-{i}"));
                }
            }
        })));

        var result = await store.Get<AuditVerifier>().VerifyAsync();
        Assert.True(result.Ok, result.Summary);
        Assert.Equal(2001, result.HeadSequence); // 2,000 appended after audit.signing_key_created
    }

    [Fact]
    public async Task SaveChangesAsync_AuditInsertFailsOnPostgres_ChangeRolledBack()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var store = await TestStore.StartAsync(_data.Path, _secret, connectionString);
        await ExecuteAsync(connectionString, """
            CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
            CREATE TRIGGER simulate_failure BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION fail_insert();
            """);

        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            db.SystemSecrets.Add(new SystemSecret { Name = "guarded-change", Value = "v", CreatedAt = DateTime.UtcNow });
            await Assert.ThrowsAsync<AuditWriteException>(() => store.Get<AuditWriter>().SaveChangesAsync(db, Event("x")));
        }

        await using var read = await store.Contexts.CreateDbContextAsync();
        Assert.False(await read.SystemSecrets.AnyAsync(s => s.Name == "guarded-change"));
    }

    [Theory]
    [InlineData("UPDATE audit_entries SET action = 'x' WHERE sequence = 1")]
    [InlineData("DELETE FROM audit_entries WHERE sequence = 1")]
    [InlineData("TRUNCATE audit_entries")]
    [InlineData("DELETE FROM audit_checkpoints")]
    public async Task Sql_ChangeToAuditTable_RefusedByTrigger(string sql)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var store = await TestStore.StartAsync(_data.Path, _secret, connectionString))
        {
            await store.Get<AuditWriter>().AppendAsync(Event("a"));
            await store.Get<AuditWriter>().WriteCheckpointAsync();
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connectionString, sql));
        Assert.Contains("audit log is append-only", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_OwnerRoleWithTriggersDisabled_StillLacksUpdateAndDeletePrivileges()
    {
        // The portal's own role, as deployed: not a superuser, owner of its database and of the tables it migrates.
        var role = $"portal_{Guid.NewGuid():N}"[..20];
        var database = await postgres.CreateDatabaseAsync();
        var databaseName = new NpgsqlConnectionStringBuilder(database).Database!;
        await ExecuteAsync(postgres.AdminConnectionString, $"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'; ALTER DATABASE \"{databaseName}\" OWNER TO {role};");
        var asPortal = new NpgsqlConnectionStringBuilder(database) { Username = role, Password = $"pw-{role}" }.ConnectionString;
        await ExecuteAsync(database, $"ALTER SCHEMA public OWNER TO {role};");
        await using (var store = await TestStore.StartAsync(_data.Path, _secret, asPortal))
        {
            await store.Get<AuditWriter>().AppendAsync(Event("a"));
        }

        // Even after disabling its own triggers, the owner cannot UPDATE or DELETE: the migration revoked it.
        await ExecuteAsync(asPortal, "ALTER TABLE audit_entries DISABLE TRIGGER USER");
        var update = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(asPortal, "UPDATE audit_entries SET action = 'x'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
        var delete = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(asPortal, "DELETE FROM audit_entries"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, delete.SqlState);
        // INSERT stays allowed (appending is the table's purpose).
        await ExecuteAsync(asPortal, "INSERT INTO audit_entries SELECT sequence + 1, timestamp, product, category, action, outcome, actor_type, actor_id, actor_name, source_ip, target_type, target_id, details, hash, hash FROM audit_entries WHERE sequence = (SELECT MAX(sequence) FROM audit_entries)");
    }

    [Fact]
    public async Task Verify_EntryModifiedBySuperuserOnPostgres_TamperingLocated()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var store = await TestStore.StartAsync(_data.Path, _secret, connectionString);
        await store.Get<AuditWriter>().AppendBatchAsync([.. Enumerable.Range(0, 1200).Select(i => Event($"{i}"))]);

        await ExecuteAsync(connectionString, """
            ALTER TABLE audit_entries DISABLE TRIGGER USER;
            UPDATE audit_entries SET actor_name = 'mallory' WHERE sequence = 777;
            ALTER TABLE audit_entries ENABLE TRIGGER USER;
            """);

        var result = await store.Get<AuditVerifier>().VerifyAsync();
        Assert.False(result.Ok);
        Assert.Equal(777, result.TamperedAt);
        Assert.Equal("TAMPERED at sequence 777: content does not match its hash (modified)", result.Summary);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
