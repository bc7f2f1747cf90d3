using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>/readyz: the database answers and the key ring is unlocked. /healthz only says the process runs.</summary>
public sealed class ReadinessHealthCheck(IDbContextFactory<AdminDbContext> contexts, KeyRing keyRing) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!keyRing.IsUnlocked)
        {
            return HealthCheckResult.Unhealthy("master key locked");
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("database unreachable");
        }
        catch (Exception)
        {
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}
