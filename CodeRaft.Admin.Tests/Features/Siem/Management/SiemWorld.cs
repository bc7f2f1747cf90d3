using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Features.Users.Management;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Siem.Management;

/// <summary>A real store with seeded users, a <see cref="SiemManagementCore"/> with a recording delivery engine, and circuits with a real step-up.</summary>
internal sealed class SiemWorld : IAsyncDisposable
{
    private SiemWorld(UsersWorld users)
    {
        Users = users;
        Core = new SiemManagementCore(users.Store.Contexts, users.Store.Get<AuditWriter>(), new SiemTargetInputValidator(), users.Time, new Provider(Delivery));
    }

    public UsersWorld Users { get; }

    public FakeTimeProvider Time => Users.Time;

    public FakeDelivery Delivery { get; } = new();

    public SiemManagementCore Core { get; }

    public static async Task<SiemWorld> StartAsync(string dataDirectory) =>
        new(await UsersWorld.StartAsync(dataDirectory, TestSecrets.NewMasterSecret()));

    public Task<Guid> SeedAsync(AdminRole role, AdminUserStatus status = AdminUserStatus.Active) => Users.SeedAsync(role, status);

    public SiemService Circuit(Guid userId) => new(Core, NewStepUp(userId));

    public async Task<(SiemService Service, StepUpTicket Ticket)> SteppedUpAsync(Guid userId, string operation)
    {
        Time.Advance(TimeSpan.FromSeconds(30));
        var stepUp = NewStepUp(userId);
        var ticket = StepUpTicket.New();
        var challenge = await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(Time.GetUtcNow()), operation);
        Assert.True(challenge.Succeeded, challenge.Message);
        return (new SiemService(Core, stepUp), ticket);
    }

    public async Task<List<SiemTarget>> TargetsAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.SiemTargets.AsNoTracking().ToListAsync();
    }

    public async Task<SiemDelivery?> DeliveryRowAsync(Guid id)
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.SiemDelivery.AsNoTracking().SingleOrDefaultAsync(d => d.TargetId == id);
    }

    public async Task<List<AuditEntry>> SiemAuditAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Category == "siem").OrderBy(e => e.Sequence).ToListAsync();
    }

    public async Task<List<AuditEntry>> AllAuditAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
    }

    private StepUpService NewStepUp(Guid userId) =>
        new(Users.Store.Get<TotpService>(), Users.Store.Contexts, Users.Store.Get<AuditWriter>(), new FakeAuthenticationStateProvider(userId), new FixedStepUpPolicy(TimeSpan.Zero), Time);

    public ValueTask DisposeAsync() => Users.DisposeAsync();

    /// <summary>Stands in for the delivery engine: counts reloads, answers status and test requests as told.</summary>
    internal sealed class FakeDelivery : ISiemDeliveryControl
    {
        public int Changes;

        /// <summary>False: the process has no delivery engine (as the CLI).</summary>
        public bool Running { get; set; } = true;

        public List<SiemTargetStatus> Statuses { get; } = [];

        public SiemTestResult TestResult { get; set; } = new(true, "The receiver accepted the test event.", TimeSpan.FromMilliseconds(12));

        public Task<IReadOnlyList<SiemTargetStatus>> StatusAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<SiemTargetStatus>>([.. Statuses]);

        public Task<SiemTestResult> SendTestAsync(Guid targetId, CancellationToken cancellationToken = default) => Task.FromResult(TestResult);

        public void TargetsChanged() => Interlocked.Increment(ref Changes);
    }

    private sealed class Provider(FakeDelivery delivery) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ISiemDeliveryControl) && delivery.Running ? delivery : null;
    }
}
