using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CodeRaft.Admin.Infrastructure.Data;

/// <summary>Hands out the configured provider's context as the shared <see cref="AdminDbContext"/> type.</summary>
internal sealed class AdminDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<AdminDbContext>
    where TContext : AdminDbContext
{
    public AdminDbContext CreateDbContext() => inner.CreateDbContext();
}

/// <summary>Design-time only (dotnet ef): the portal's startup does more than build a context.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAdminDbContext>
{
    public SqliteAdminDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAdminDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAdminDbContext>
{
    public PostgresAdminDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAdminDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
