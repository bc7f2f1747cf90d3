using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Audit.Checkpoints;

/// <summary>
/// Configuration comes from files and environment variables, outside the portal's control. Each start records
/// the effective non-secret settings in its <c>system.started</c> entry and, when they differ from the previous
/// start, adds a <c>settings.configuration_changed</c> entry with before and after.
/// </summary>
public sealed class StartupConfigurationAudit(AdminSettings settings, IConfiguration configuration, IHostEnvironment environment,
    Microsoft.Extensions.Options.IOptions<AuditOptions> audit, IDbContextFactory<AdminDbContext> contexts)
{
    public JsonObject Current() => new()
    {
        ["environment"] = environment.EnvironmentName,
        ["databaseProvider"] = settings.Provider.ToString(),
        ["dataDirectory"] = settings.DataDirectory,
        ["authenticationMode"] = configuration["Authentication:Mode"] ?? "Local",
        ["trustedProxies"] = new JsonArray([.. (configuration.GetSection("Network:TrustedProxies").Get<string[]>() ?? []).Select(p => (JsonNode?)p)]),
        ["maxRequestBodyBytes"] = configuration["Limits:MaxRequestBodyBytes"] ?? "1048576",
        ["checkpointIntervalSeconds"] = audit.Value.CheckpointInterval.TotalSeconds,
    };

    public async Task<AuditEvent?> ChangeSincePreviousStartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var previous = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "system.started")
            .OrderByDescending(e => e.Sequence).Select(e => e.Details).FirstOrDefaultAsync(cancellationToken);
        if (previous is null || JsonNode.Parse(previous)?["configuration"] is not JsonObject before)
        {
            return null;
        }

        var after = Current();
        var changed = after.Where(p => !JsonNode.DeepEquals(p.Value, before[p.Key])).Select(p => p.Key).ToList();
        return changed.Count == 0 ? null : new AuditEvent
        {
            Category = "settings",
            Action = "settings.configuration_changed",
            Details = new JsonObject
            {
                ["changed"] = new JsonArray([.. changed.Select(k => (JsonNode?)k)]),
                ["before"] = new JsonObject(changed.Select(k => KeyValuePair.Create(k, before[k]?.DeepClone()))),
                ["after"] = new JsonObject(changed.Select(k => KeyValuePair.Create(k, after[k]?.DeepClone()))),
            },
        };
    }
}
