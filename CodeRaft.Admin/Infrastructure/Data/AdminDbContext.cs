using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Infrastructure.Data;

/// <summary>
/// The one model of the portal. Provider subclasses (<see cref="SqliteAdminDbContext"/>,
/// <see cref="PostgresAdminDbContext"/>) exist only so each provider has its own migrations folder.
/// Features use it through <c>IDbContextFactory&lt;AdminDbContext&gt;</c>, one short-lived context per operation.
/// </summary>
public abstract class AdminDbContext(DbContextOptions options) : IdentityUserContext<AdminUser, Guid>(options)
{
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<ProductAccess> ProductAccess => Set<ProductAccess>();
    public DbSet<UserInvitation> UserInvitations => Set<UserInvitation>();
    public DbSet<PortalSetting> Settings => Set<PortalSetting>();
    public DbSet<KeyRingRecord> KeyRing => Set<KeyRingRecord>();
    public DbSet<DataKeyRecord> DataKeys => Set<DataKeyRecord>();
    public DbSet<SystemSecret> SystemSecrets => Set<SystemSecret>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<AuditCheckpoint> AuditCheckpoints => Set<AuditCheckpoint>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AllowlistEntry> NetworkAllowlist => Set<AllowlistEntry>();
    public DbSet<SiemTarget> SiemTargets => Set<SiemTarget>();
    public DbSet<SiemDelivery> SiemDelivery => Set<SiemDelivery>();
    public DbSet<InstalledLicense> Licenses => Set<InstalledLicense>();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAppendOnlyChanges();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAppendOnlyChanges();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>The audit log is append-only in the application too, before the database triggers are reached.</summary>
    private void RefuseAppendOnlyChanges()
    {
        ChangeTracker.DetectChanges();
        if (ChangeTracker.Entries<IAppendOnly>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
        {
            throw new InvalidOperationException("The audit log is append-only: entries and checkpoints cannot be changed or deleted.");
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder); // ASP.NET Core Identity's user tables
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.ApplyConfigurationsFromAssembly(typeof(AdminDbContext).Assembly);

        // Every column is snake_case; protected properties already carry their column name.
        foreach (var entityType in builder.Model.GetEntityTypes())
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
