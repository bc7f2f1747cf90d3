using System.Text;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CodeRaft.Admin.Tests.Infrastructure.Data;

/// <summary>The same store on a real PostgreSQL server (the PostgreSQL lane).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLaneTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Migrate_Postgres_CreatesEveryTableOfTheModel()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var store = await TestStore.StartAsync(_data.Path, _secret, connectionString);
        await using var db = await store.Contexts.CreateDbContextAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a PostgreSQL migration");
        var expected = db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Order(StringComparer.Ordinal).ToList();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_EF%' ORDER BY table_name", connection);
        var actual = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                actual.Add(reader.GetString(0));
            }
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task SaveChanges_ProtectedValueOnPostgres_StoredOnlyAsCiphertext()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var store = await TestStore.StartAsync(_data.Path, _secret, connectionString))
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            db.SystemSecrets.Add(new SystemSecret { Name = "siem-token", Value = "PG-PLAINTEXT-MARKER", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        // Read the table as a database administrator would: every column, as text.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT t::text FROM system_secrets t", connection);
            var row = (string)(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain("PG-PLAINTEXT-MARKER", row, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes("PG-PLAINTEXT-MARKER")), row, StringComparison.Ordinal);
        }

        await using var reopened = await TestStore.StartAsync(_data.Path, _secret, connectionString);
        await using var read = await reopened.Contexts.CreateDbContextAsync();
        Assert.Equal("PG-PLAINTEXT-MARKER", (await read.SystemSecrets.SingleAsync(s => s.Name == "siem-token")).Value);
    }

    [Fact]
    public async Task RotateMasterSecret_OnPostgres_OldSecretRefusedNewSecretReads()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var newSecret = TestSecrets.NewMasterSecret();
        await using (var store = await TestStore.StartAsync(_data.Path, _secret, connectionString))
        {
            await using (var db = await store.Contexts.CreateDbContextAsync())
            {
                db.SystemSecrets.Add(new SystemSecret { Name = "k", Value = "pg value", CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
            }

            await store.Get<KeyRingStore>().RotateMasterSecretAsync(_secret, newSecret);
        }

        await Assert.ThrowsAsync<AdminStartupException>(() => TestStore.StartAsync(_data.Path, _secret, connectionString));
        await using var rotated = await TestStore.StartAsync(_data.Path, newSecret, connectionString);
        await using var read = await rotated.Contexts.CreateDbContextAsync();
        Assert.Equal("pg value", (await read.SystemSecrets.SingleAsync(s => s.Name == "k")).Value);
    }
}
