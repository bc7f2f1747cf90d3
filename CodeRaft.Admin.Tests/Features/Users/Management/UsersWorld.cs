using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Users.Management;

/// <summary>Seats per product for tests (the licensing feature's stand-in); 1,000 of each unless set.</summary>
internal sealed class TestSeats : ILicenseSeats
{
    public Dictionary<Product, int?> Seats { get; } = Products.All.ToDictionary(p => p, _ => (int?)1000);

    public ValueTask<int?> GetSeatsAsync(Product product, CancellationToken cancellationToken = default) => ValueTask.FromResult(Seats[product]);
}

/// <summary>
/// One portal "process" for the users tests: the real store, a fake clock, <see cref="UserManagementCore"/> with
/// <see cref="TestSeats"/>, and seeding helpers. Seeded users share the TOTP key of <see cref="StepUpUser"/>.
/// </summary>
internal sealed class UsersWorld : IAsyncDisposable
{
    public const string Password = "a long and uncommon passphrase";

    private int _seeded;

    private UsersWorld(TestStore store, FakeTimeProvider time, string mode)
    {
        Store = store;
        Time = time;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Mode"] = mode }).Build();
        Core = new UserManagementCore(store.Contexts, store.Get<AuditWriter>(), Seats, store.Get<InviteUserInputValidator>(), Revocations,
            configuration, Options.Create(new UsersOptions()), time);
        Activation = new InvitationActivationService(store.Contexts, store.Get<AuditWriter>(), store.Get<PasswordPolicy>(), configuration, time);
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; }

    public TestSeats Seats { get; } = new();

    public SessionRevocations Revocations { get; } = new();

    public UserManagementCore Core { get; }

    public InvitationActivationService Activation { get; }

    public static async Task<UsersWorld> StartAsync(string dataDirectory, string masterSecret, FakeTimeProvider? time = null, string? postgres = null, string mode = "Local")
    {
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
        return new UsersWorld(await TestStore.StartAsync(dataDirectory, masterSecret, postgres, time: time), time, mode);
    }

    /// <summary>A user straight in the store. Active and Disabled users have a password; enrolled ones a TOTP key and a recovery code.</summary>
    public async Task<Guid> SeedAsync(AdminRole role, AdminUserStatus status = AdminUserStatus.Active, bool enrolled = true, string? email = null, params Product[] products)
    {
        var number = Interlocked.Increment(ref _seeded);
        email ??= $"{role.ToString().ToLowerInvariant()}-{number}-{Guid.NewGuid():N}@example.test";
        var now = Time.GetUtcNow();
        var user = AdminUser.Create(email, email, $"{role} {number}", role, status, now.UtcDateTime);
        if (status != AdminUserStatus.Invited)
        {
            user.PasswordHash = "AQAAAA-not-a-real-hash";
        }

        if (enrolled)
        {
            user.TotpSecret = Base32.Encode("12345678901234567890"u8);
            user.TotpEnabledAt = now.UtcDateTime;
        }

        await using var db = await Store.Contexts.CreateDbContextAsync();
        db.Users.Add(user);
        if (enrolled)
        {
            db.RecoveryCodes.Add(new RecoveryCode { Id = Guid.NewGuid(), UserId = user.Id, CodeHash = TotpService.HashRecoveryCode("abcde-fghjk"), CreatedAt = now.UtcDateTime });
        }

        db.ProductAccess.AddRange(products.Select(p => new ProductAccess { Id = Guid.NewGuid(), UserId = user.Id, Product = p, GrantedAt = now.UtcDateTime, GrantedBy = "seed" }));
        await db.SaveChangesAsync();
        return user.Id;
    }

    /// <summary>A circuit of <paramref name="userId"/> without any step-up.</summary>
    public UserManagementService Circuit(Guid userId) => new(Core, StepUpService(userId));

    /// <summary>A circuit of <paramref name="userId"/> whose ticket is unlocked with a correct code, so step-up is not what decides.</summary>
    public async Task<(UserManagementService Users, StepUpTicket Ticket)> SteppedUpCircuitAsync(Guid userId)
    {
        var stepUp = StepUpService(userId);
        var ticket = StepUpTicket.New();
        var challenge = await stepUp.ChallengeAsync(ticket, StepUpUser.CodeAt(Time.GetUtcNow()), "user.manage");
        Assert.True(challenge.Succeeded, challenge.Message);
        return (new UserManagementService(Core, stepUp), ticket);
    }

    public async Task<AdminUser?> UserAsync(Guid id)
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id);
    }

    public async Task<List<Product>> ProductsAsync(Guid id)
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return (await db.ProductAccess.AsNoTracking().Where(a => a.UserId == id).Select(a => a.Product).ToListAsync()).Order().ToList();
    }

    /// <summary>The "users" entries, oldest first.</summary>
    public async Task<List<AuditEntry>> UsersAuditAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Category == "users").OrderBy(e => e.Sequence).ToListAsync();
    }

    public async Task<long> AuditHeadAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.MaxAsync(e => e.Sequence);
    }

    public async Task<int> ActiveOwnersAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.Users.CountAsync(u => u.Role == AdminRole.Owner && u.Status == AdminUserStatus.Active);
    }

    private StepUpService StepUpService(Guid userId) =>
        new(Store.Get<TotpService>(), Store.Contexts, Store.Get<AuditWriter>(), new FakeAuthenticationStateProvider(userId), new FixedStepUpPolicy(TimeSpan.Zero), Time);

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
