using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Infrastructure.Data;

/// <summary>
/// The one model of the portal. Provider subclasses (<see cref="SqliteAdminDbContext"/>,
/// <see cref="PostgresAdminDbContext"/>) exist only so each provider has its own migrations folder.
/// Features use it through <c>IDbContextFactory&lt;AdminDbContext&gt;</c>, one short-lived context per operation.
/// </summary>
public abstract class AdminDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<KeyRingRecord> KeyRing => Set<KeyRingRecord>();
    public DbSet<DataKeyRecord> DataKeys => Set<DataKeyRecord>();
    public DbSet<SystemSecret> SystemSecrets => Set<SystemSecret>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AdminDbContext).Assembly);

        // Every column is snake_case; protected properties already carry their column name.
        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entityType.GetProperties())
            {
                if (property.FindAnnotation(ProtectedPropertyExtensions.Annotation) is null)
                {
                    property.SetColumnName(AdminNaming.ToSnakeCase(property.Name));
                }
            }
        }
    }
}

public sealed class SqliteAdminDbContext(DbContextOptions<SqliteAdminDbContext> options) : AdminDbContext(options);

public sealed class PostgresAdminDbContext(DbContextOptions<PostgresAdminDbContext> options) : AdminDbContext(options);
