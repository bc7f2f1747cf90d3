using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Security.Encryption;

/// <summary>Encryption at rest through the real store on a real SQLite file.</summary>
public sealed class ProtectedStoreTests : IDisposable
{
    private const string Marker = "PLAINTEXT-MARKER-7f3a9c";
    private readonly TempDirectory _data = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    private string DatabaseFile => _data.Combine(AdminSettings.SqliteFileName);

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task SaveChanges_ProtectedValue_NeverInPlaintextInSqliteFile()
    {
        await using (var store = await TestStore.StartAsync(_data.Path, _secret))
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            for (var i = 0; i < 50; i++)
            {
                db.SystemSecrets.Add(new SystemSecret { Name = $"secret-{i}", Value = $"{Marker}-{i}", CreatedAt = DateTime.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        // Checkpoint the WAL so every byte is in the main file too, then read the raw bytes of every file.
        await using (var connection = new SqliteConnection($"Data Source={DatabaseFile}"))
        {
            await connection.OpenAsync();
            await using var checkpoint = new SqliteCommand("PRAGMA wal_checkpoint(TRUNCATE)", connection);
            await checkpoint.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(_data.Path, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Marker)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(Marker)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(_secret)));
        }

        await using var reopened = await TestStore.StartAsync(_data.Path, _secret);
        await using var read = await reopened.Contexts.CreateDbContextAsync();
        Assert.Equal($"{Marker}-7", (await read.SystemSecrets.SingleAsync(s => s.Name == "secret-7")).Value);
        Assert.Equal($"{Marker}-8", (await read.SystemSecrets.AsNoTracking().SingleAsync(s => s.Name == "secret-8")).Value);
    }

    [Fact]
    public async Task Query_CiphertextCopiedToAnotherRow_FailsToDecrypt()
    {
        await using var store = await TestStore.StartAsync(_data.Path, _secret);
        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            db.SystemSecrets.AddRange(
                new SystemSecret { Name = "alice", Value = "alice's secret", CreatedAt = DateTime.UtcNow },
                new SystemSecret { Name = "bob", Value = "bob's secret", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlRawAsync("UPDATE system_secrets SET value = (SELECT value FROM system_secrets WHERE name = 'alice') WHERE name = 'bob'");
        }

        await using var read = await store.Contexts.CreateDbContextAsync();
        Assert.Equal("alice's secret", (await read.SystemSecrets.SingleAsync(s => s.Name == "alice")).Value);
        var error = await Assert.ThrowsAsync<EncryptedValueException>(() => read.SystemSecrets.SingleAsync(s => s.Name == "bob"));
        Assert.Contains("system_secrets.value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveChanges_ChangedValue_ReencryptsAndUnchangedIsNotWritten()
    {
        await using var store = await TestStore.StartAsync(_data.Path, _secret);
        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            db.SystemSecrets.Add(new SystemSecret { Name = "k", Value = "v1", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var first = await RawValueAsync(store, "k");
        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            var entity = await db.SystemSecrets.SingleAsync(s => s.Name == "k");
            Assert.Equal(0, await db.SaveChangesAsync()); // read but unchanged: nothing written
            entity.Value = "v2";
            Assert.Equal(1, await db.SaveChangesAsync());
        }

        Assert.NotEqual(first, await RawValueAsync(store, "k"));
        await using var read = await store.Contexts.CreateDbContextAsync();
        Assert.Equal("v2", (await read.SystemSecrets.SingleAsync(s => s.Name == "k")).Value);
    }

    [Fact]
    public async Task Start_WrongMasterSecret_RefusesAndWritesNothing()
    {
        await using (var store = await TestStore.StartAsync(_data.Path, _secret))
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            db.SystemSecrets.Add(new SystemSecret { Name = "k", Value = "v", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var before = HashDirectory();
        var error = await Assert.ThrowsAsync<AdminStartupException>(() => TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret()));

        Assert.Contains("master secret does not match", error.Message, StringComparison.Ordinal);
        Assert.Equal(AdminStartupException.ConfigurationError, error.ExitCode);
        Assert.Equal(before, HashDirectory());
    }

    [Fact]
    public async Task RotateMasterSecret_ValuesStayReadable_OldSecretStopsWorking()
    {
        var newSecret = TestSecrets.NewMasterSecret();
        byte[] ciphertextBefore;
        await using (var store = await TestStore.StartAsync(_data.Path, _secret))
        {
            await using (var db = await store.Contexts.CreateDbContextAsync())
            {
                db.SystemSecrets.Add(new SystemSecret { Name = "k", Value = "survives rotation", CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
            }

            ciphertextBefore = await RawValueAsync(store, "k");
            Assert.Equal(1, await store.Get<KeyRingStore>().RotateMasterSecretAsync(_secret, newSecret));
        }

        await Assert.ThrowsAsync<AdminStartupException>(() => TestStore.StartAsync(_data.Path, _secret));
        await using var rotated = await TestStore.StartAsync(_data.Path, newSecret);
        await using var read = await rotated.Contexts.CreateDbContextAsync();
        Assert.Equal("survives rotation", (await read.SystemSecrets.SingleAsync(s => s.Name == "k")).Value);
        Assert.Equal(ciphertextBefore, await RawValueAsync(rotated, "k")); // values were not re-encrypted
    }

    [Fact]
    public async Task RotateMasterSecret_WrongCurrentSecret_ChangesNothing()
    {
        await using var store = await TestStore.StartAsync(_data.Path, _secret);
        await Assert.ThrowsAsync<AdminStartupException>(() =>
            store.Get<KeyRingStore>().RotateMasterSecretAsync(TestSecrets.NewMasterSecret(), TestSecrets.NewMasterSecret()));

        await store.Get<KeyRingStore>().UnlockAsync(_secret);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task Start_TamperedIterationCount_RefusedWithClearMessage(int iterations)
    {
        await using (var store = await TestStore.StartAsync(_data.Path, _secret))
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync("UPDATE keyring SET iterations = {0}", iterations);
        }

        var error = await Assert.ThrowsAsync<AdminStartupException>(() => TestStore.StartAsync(_data.Path, _secret));
        Assert.Contains("iteration count", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DatabaseFromNewerVersion_RefusesWithClearMessage()
    {
        await using (var store = await TestStore.StartAsync(_data.Path, _secret))
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ('29991231000000_FromTheFuture', '99.0.0')");
        }

        var error = await Assert.ThrowsAsync<AdminStartupException>(() => TestStore.StartAsync(_data.Path, _secret));
        Assert.Contains("newer version of CodeRaft.Admin", error.Message, StringComparison.Ordinal);
        Assert.Contains("29991231000000_FromTheFuture", error.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> RawValueAsync(TestStore store, string name)
    {
        await using var db = await store.Contexts.CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM system_secrets WHERE name = @n";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@n";
        parameter.Value = name;
        command.Parameters.Add(parameter);
        return (byte[])(await command.ExecuteScalarAsync())!;
    }

    private string HashDirectory()
    {
        SqliteConnection.ClearAllPools();
        var builder = new StringBuilder();
        foreach (var file in Directory.GetFiles(_data.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            builder.Append(Path.GetFileName(file)).Append('=').AppendLine(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))));
        }

        return builder.ToString();
    }
}
