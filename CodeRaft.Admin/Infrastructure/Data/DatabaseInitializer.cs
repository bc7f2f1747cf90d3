using System.Data.Common;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CodeRaft.Admin.Infrastructure.Data;

/// <summary>
/// Brings the database to this version's schema and unlocks the key ring. Order matters: an existing key ring
/// is unlocked (the master secret checked) before any migration runs, so a wrong secret writes nothing.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<AdminDbContext> contexts, KeyRingStore keyRingStore, KeyRing keyRing, ILogger<DatabaseInitializer> logger)
{
    /// <summary>
    /// A new SQLite database starts as an empty file with mode 0600; SQLite gives its -wal and -shm files the
    /// same mode. Without this the process umask (often 022) would leave the database world-readable.
    /// </summary>
    private static bool CreatePrivateSqliteFile(AdminDbContext db)
    {
        if (OperatingSystem.IsWindows() || !db.Database.IsSqlite())
        {
            return false;
        }

        var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        if (string.IsNullOrEmpty(path) || path == ":memory:" || File.Exists(path))
        {
            return false;
        }

        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        return true;
    }

    public async Task InitializeAsync(string masterSecret, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (CreatePrivateSqliteFile(db))
        {
            // EF would set WAL when it creates the file itself; the file already exists now, so say it here.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }

        List<string> applied;
        try
        {
            // Ask first: querying a missing history table makes PostgreSQL log an error a SIEM would flag.
            var history = db.GetService<IHistoryRepository>();
            applied = await history.ExistsAsync(cancellationToken)
                ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)]
                : [];
        }
        catch (DbException ex)
        {
            throw new AdminStartupException($"The database cannot be opened: {ex.Message.TrimEnd('.')}.", inner: ex);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is DbException or System.Net.Sockets.SocketException)
        {
            throw new AdminStartupException($"The database cannot be reached: {ex.InnerException.Message.TrimEnd('.')}.", inner: ex);
        }

        var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        var unknown = applied.Where(m => !known.Contains(m)).ToList();
        if (unknown.Count > 0)
        {
            throw new AdminStartupException(
                $"The database was written by a newer version of CodeRaft.Admin (migration {unknown[^1]}); run that version or restore a backup made with this one.");
        }

        if (applied.Count > 0 && await keyRingStore.IsInitializedAsync(cancellationToken))
        {
            await keyRingStore.UnlockAsync(masterSecret, cancellationToken);
        }

        var pending = known.Except(applied).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
        }

        if (!keyRing.IsUnlocked)
        {
            logger.LogInformation("Creating the key ring of this installation");
            await keyRingStore.InitializeAsync(masterSecret, cancellationToken);
        }
    }
}
