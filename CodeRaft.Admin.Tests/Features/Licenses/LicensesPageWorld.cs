using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>
/// The Licenses page tests' portal "process": the real store in a non-Production environment that trusts
/// <see cref="TestLicenses.Vendor"/>, a fake clock starting now (licenses are issued relative to the real time), the
/// real catalog, core and service, and seeded users sharing <see cref="StepUpUser"/>'s TOTP key.
/// </summary>
internal sealed class LicensesPageWorld : IAsyncDisposable
{
    private int _seeded;

    private LicensesPageWorld(TestStore store, FakeTimeProvider time)
    {
        Store = store;
        Time = time;
    }

    public TestStore Store { get; }

    public FakeTimeProvider Time { get; }

    public LicenseManagementCore Core => Store.Get<LicenseManagementCore>();

    public LicenseCatalog Catalog => Store.Get<LicenseCatalog>();

    public static async Task<LicensesPageWorld> StartAsync(string dataDirectory)
    {
        var now = DateTimeOffset.UtcNow;
        var time = new FakeTimeProvider(new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero));
        var store = await TestStore.StartAsync(dataDirectory, TestSecrets.NewMasterSecret(), environment: "Development", time: time,
            configuration: TestLicenses.Vendor.Configuration);
        return new LicensesPageWorld(store, time);
    }

    /// <summary>A user straight in the store, with a password, the TOTP key of StepUpUser and the given products.</summary>
    public async Task<Guid> SeedAsync(AdminRole role, params Product[] products)
    {
        var number = Interlocked.Increment(ref _seeded);
        var email = $"{role.ToString().ToLowerInvariant()}-{number}-{Guid.NewGuid():N}@example.test";
        var now = Time.GetUtcNow().UtcDateTime;
        var user = AdminUser.Create(email, email, $"{role} {number}", role, AdminUserStatus.Active, now);
        user.PasswordHash = "AQAAAA-not-a-real-hash";
        user.TotpSecret = Base32.Encode("12345678901234567890"u8);
        user.TotpEnabledAt = now;
        await using var db = await Store.Contexts.CreateDbContextAsync();
        db.Users.Add(user);
        db.ProductAccess.AddRange(products.Select(p => new ProductAccess { Id = Guid.NewGuid(), UserId = user.Id, Product = p, GrantedAt = now, GrantedBy = "seed" }));
        await db.SaveChangesAsync();
        return user.Id;
    }

    /// <summary>Users granted <paramref name="product"/> (Viewers: they only take seats).</summary>
    public async Task GrantAsync(Product product, int users)
    {
        for (var i = 0; i < users; i++)
        {
            await SeedAsync(AdminRole.Viewer, product);
        }
    }

    /// <summary>Installs a key as the host CLI would (no step-up); asserts it was accepted.</summary>
    public async Task InstallAsync(string key)
    {
        var result = await Core.InstallAsync(UserOperator.HostCli, key);
        Assert.True(result.Succeeded, result.Message);
    }

    /// <summary>What one circuit of <paramref name="userId"/> needs: step-up (real) and the licensing services of this store.</summary>
    public void AddCircuitServices(IServiceCollection services, Guid userId) =>
        StepUpUser.AddCircuitServices(services, Store, userId, Time)
            .AddSingleton(Catalog)
            .AddSingleton(Core)
            .AddSingleton<LicenseService>();

    public async Task<List<InstalledLicense>> LicensesAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.Licenses.AsNoTracking().ToListAsync();
    }

    /// <summary>The "licenses" entries, oldest first.</summary>
    public async Task<List<AuditEntry>> LicenseAuditAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Category == LicenseManagementCore.Category).OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>Makes the portal remember a latest time seen ahead of the clock, as after the system clock was set back.</summary>
    public async Task RememberLatestSeenAsync(DateTimeOffset latest)
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        db.Settings.Add(new PortalSetting
        {
            Key = LicenseClock.SettingKey,
            Value = latest.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            UpdatedAt = latest.UtcDateTime,
            UpdatedBy = "test",
        });
        await db.SaveChangesAsync();
        Catalog.Invalidate();
    }

    /// <summary>The key with one character of its payload changed (the signature no longer matches).</summary>
    public static string Tamper(string key)
    {
        var parts = key.Split('.');
        var payload = parts[1].ToCharArray();
        var at = payload.Length / 2;
        payload[at] = payload[at] == 'A' ? 'B' : 'A';
        return $"{parts[0]}.{new string(payload)}.{parts[2]}";
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
