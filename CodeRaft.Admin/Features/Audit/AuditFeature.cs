using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Features.Audit.Viewer;
using CodeRaft.Admin.Infrastructure.Hosting;

namespace CodeRaft.Admin.Features.Audit;

public static class AuditFeature
{
    /// <summary>The audit chain services, shared by the server and the CLI.</summary>
    public static IServiceCollection AddAuditCore(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration("Audit");
        services.AddSingleton<AuditCheckpointSigner>();
        services.AddSingleton<AuditWriter>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<AuditQueryService>();
        services.AddSingleton<AuditExporter>();
        services.AddSingleton<IAdminInitializer, AuditInitializer>();
        return services;
    }

    /// <summary>Server only: lifecycle entries and periodic checkpoints.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<StartupConfigurationAudit>();
        services.AddHostedService<AuditCheckpointService>();
        services.AddSingleton<AuditExportTickets>();
        return services;
    }

    private sealed class AuditInitializer(AuditCheckpointSigner signer, AuditWriter writer) : IAdminInitializer
    {
        public async Task InitializeAsync(CancellationToken cancellationToken)
        {
            await signer.LoadAsync(cancellationToken);
            if (signer.GeneratedByThisProcess)
            {
                await writer.AppendAsync(new AuditEvent
                {
                    Category = "audit",
                    Action = "audit.signing_key_created",
                    TargetType = "signing_key",
                    TargetId = signer.KeyId,
                    Details = AuditDetails.Of(("algorithm", "ECDSA P-256 / SHA-256"), ("keyId", signer.KeyId)),
                }, cancellationToken);
            }
        }
    }
}
