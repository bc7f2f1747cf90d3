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
    public async Task InitializeAsync(string masterSecret, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
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
