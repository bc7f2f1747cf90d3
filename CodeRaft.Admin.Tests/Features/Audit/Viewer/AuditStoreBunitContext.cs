using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Features.Audit.Viewer;
using CodeRaft.Admin.Features.Dashboard;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

/// <summary>
/// The shared bUnit context over a real store (SQLite file, key ring, migrations) with the audit services of
/// that store registered: pages under test read and write the same chain as the test does.
/// </summary>
public abstract class AuditStoreBunitContext : AdminBunitContext, IAsyncLifetime
{
    private readonly TempDirectory _directory = new("coderaft-audit-ui");

    protected TestStore Store { get; private set; } = default!;

    /// <summary>The circuit's signed-in user (TOTP key of <c>StepUpUser</c>).</summary>
    protected Guid UserId { get; private set; }

    protected AuditWriter Writer => Store.Get<AuditWriter>();

    async Task IAsyncLifetime.InitializeAsync()
    {
        Store = await TestStore.StartAsync(_directory.Path, TestSecrets.NewMasterSecret());
        // The signed-in user of the circuit: the export is privileged and challenges for this user's TOTP code.
        UserId = await Security.StepUp.StepUpUser.SeedAsync(Store, DateTimeOffset.UtcNow);
        // An Owner: may read and export the log (the page checks both policies).
        Authorization.SetAuthorized("alice@example.test");
        Authorization.SetRoles("Owner");
        Authorization.SetPolicies(Admin.Security.Authorization.AdminPolicies.AuditRead, Admin.Security.Authorization.AdminPolicies.AuditExport);

        AddFallbackServices(services => Security.StepUp.StepUpUser.AddCircuitServices(services, Store, UserId, TimeProvider.System)
            .AddSingleton(Store.Get<KeyRing>())
            .AddSingleton(Store.Get<AuditQueryService>())
            .AddSingleton(Store.Get<AuditVerifier>())
            .AddSingleton(Store.Get<AuditExporter>())
            .AddSingleton<AuditExportTickets>()
            .AddSingleton<DashboardStatisticsService>());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Store.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>Appends events to the chain and returns the committed entries.</summary>
    protected Task<IReadOnlyList<CodeRaft.Admin.Features.Audit.AuditEntry>> SeedAsync(params AuditEvent[] events) => Writer.AppendBatchAsync(events);

    protected static AuditEvent Event(string category, string action, string outcome = AuditVocabulary.Success, string targetId = "", string actorName = "") => new()
    {
        Category = category,
        Action = action,
        Outcome = outcome,
        Actor = actorName.Length == 0 ? AuditActor.System : AuditActor.User("u-1", actorName),
        TargetType = targetId.Length == 0 ? "" : "user",
        TargetId = targetId,
    };
}
