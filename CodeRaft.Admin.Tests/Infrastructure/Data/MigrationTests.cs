using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Infrastructure.Data;

public sealed class MigrationTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Start_FreshDataDirectory_DirectoryAndDatabaseFilesPrivate()
    {
        var data = _data.Combine("fresh");
        await using (var store = await TestStore.StartAsync(data, TestSecrets.NewMasterSecret()))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            foreach (var file in Directory.GetFiles(data, "coderaft-admin.db*"))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.NotEmpty(Directory.GetFiles(data, "coderaft-admin.db-wal"));
        }
    }

    [Fact]
    public async Task Migrate_Sqlite_AppliesEveryMigrationAndMatchesTheModel()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        await using var db = await store.Contexts.CreateDbContextAsync();

        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a SQLite migration");
        var expected = db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Order(StringComparer.Ordinal).ToList();
        await using var connection = new SqliteConnection(db.Database.GetConnectionString());
        await connection.OpenAsync();
        await using var command = new SqliteCommand(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_EF%' ESCAPE '\\' ORDER BY name", connection);
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
}
