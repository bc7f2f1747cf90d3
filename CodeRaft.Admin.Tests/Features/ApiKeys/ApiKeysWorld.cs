using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Features.Users.Management;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// The API keys tests' portal "process": <see cref="UsersWorld"/> (real store, fake clock, seeded users sharing
/// <see cref="StepUpUser"/>'s TOTP key) plus an <see cref="ApiKeyManagementCore"/> on the same clock, and circuits of
/// <see cref="ApiKeyService"/> with a real step-up.
/// </summary>
internal sealed class ApiKeysWorld : IAsyncDisposable
{
    private ApiKeysWorld(UsersWorld users)
    {
        Users = users;
        Core = new ApiKeyManagementCore(users.Store.Contexts, users.Store.Get<AuditWriter>(), users.Store.Get<ApiKeyInputValidator>(), users.Time);
    }

    public UsersWorld Users { get; }

    public FakeTimeProvider Time => Users.Time;

    public ApiKeyManagementCore Core { get; }

    public static async Task<ApiKeysWorld> StartAsync(string dataDirectory) =>
        new(await UsersWorld.StartAsync(dataDirectory, TestSecrets.NewMasterSecret()));

    public Task<Guid> SeedAsync(AdminRole role, AdminUserStatus status = AdminUserStatus.Active) => Users.SeedAsync(role, status);

    /// <summary>A circuit of <paramref name="userId"/> without any step-up.</summary>
    public (ApiKeyService Service, StepUpService StepUp) Circuit(Guid userId)
    {
        var stepUp = NewStepUp(userId);
        return (new ApiKeyService(Core, stepUp), stepUp);
    }

    /// <summary>A circuit whose ticket is unlocked with a correct code (each call moves the clock to a fresh TOTP step).</summary>
    public async Task<(ApiKeyService Service, StepUpTicket Ticket)> SteppedUpAsync(Guid userId, string operation)
    {
        Time.Advance(TimeSpan.FromSeconds(30));
        var (service, stepUp) = Circuit(userId);
        var ticket = StepUpTicket.New();
        var challenge = await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(Time.GetUtcNow()), operation);
        Assert.True(challenge.Succeeded, challenge.Message);
        return (service, ticket);
    }

    public static ApiKeyInput Input(string name = "SIEM collector", params string[] scopes) =>
        new() { Name = name, Scopes = scopes.Length == 0 ? [ApiKeyScopes.AuditRead] : scopes };

    public async Task<List<ApiKey>> KeysAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.ApiKeys.AsNoTracking().ToListAsync();
    }

    /// <summary>The "apikeys" entries, oldest first.</summary>
    public async Task<List<AuditEntry>> ApiKeyAuditAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Category == "apikeys").OrderBy(e => e.Sequence).ToListAsync();
    }

    public async Task<List<(string Action, string Outcome)>> StepUpAuditAsync()
    {
        await using var db = await Users.Store.Contexts.CreateDbContextAsync();
        var rows = await db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("stepup")).OrderBy(e => e.Sequence).Select(e => new { e.Action, e.Outcome }).ToListAsync();
        return [.. rows.Select(r => (r.Action, r.Outcome))];
    }

    private StepUpService NewStepUp(Guid userId) =>
        new(Users.Store.Get<TotpService>(), Users.Store.Contexts, Users.Store.Get<AuditWriter>(), new FakeAuthenticationStateProvider(userId), new FixedStepUpPolicy(TimeSpan.Zero), Time);

    public ValueTask DisposeAsync() => Users.DisposeAsync();
}
