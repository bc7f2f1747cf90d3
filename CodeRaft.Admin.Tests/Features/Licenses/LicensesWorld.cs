using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Features.Users.Management;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>A clock tests can set anywhere, also backwards (a rolled-back system clock).</summary>
internal sealed class SettableTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// One portal "process" for the licensing tests: the real store in a non-Production environment that trusts
/// <see cref="TestLicenses.Vendor"/>'s key, a settable clock, and the portal's own licensing and users services.
/// </summary>
internal sealed class LicensesWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    private int _seeded;

    private LicensesWorld(TestStore store, SettableTime time)
    {
        Store = store;
        Time = time;
    }

    public TestStore Store { get; }

    public SettableTime Time { get; }

    public LicenseManagementCore Core => Store.Get<LicenseManagementCore>();

    public LicenseCatalog Catalog => Store.Get<LicenseCatalog>();

    public UserManagementCore Users => Store.Get<UserManagementCore>();

    public static async Task<LicensesWorld> StartAsync(string dataDirectory, string masterSecret, SettableTime? time = null, string environment = "Development",
        IReadOnlyDictionary<string, string?>? configuration = null, string? postgres = null)
    {
        time ??= new SettableTime(Start);
        var store = await TestStore.StartAsync(dataDirectory, masterSecret, postgres, environment: environment, time: time, configuration: configuration ?? TestLicenses.Vendor.Configuration);
        return new LicensesWorld(store, time);
    }

    /// <summary>An active user in the store, with access to <paramref name="products"/>.</summary>
    public async Task<Guid> SeedUserAsync(AdminRole role, params Product[] products)
    {
        var number = Interlocked.Increment(ref _seeded);
        var email = $"{role.ToString().ToLowerInvariant()}-{number}@example.test";
        var user = AdminUser.Create(email, email, $"{role} {number}", role, AdminUserStatus.Active, Time.Now.UtcDateTime);
        await using var db = await Store.Contexts.CreateDbContextAsync();
        db.Users.Add(user);
        db.ProductAccess.AddRange(products.Select(p => new ProductAccess { Id = Guid.NewGuid(), UserId = user.Id, Product = p, GrantedAt = Time.Now.UtcDateTime, GrantedBy = "seed" }));
        await db.SaveChangesAsync();
        return user.Id;
    }

    public async Task<LicenseResult> InstallAsync(string key)
    {
        var result = await Core.InstallAsync(UserOperator.HostCli, key);
        Assert.True(result.Succeeded, result.Message);
        return result;
    }

    /// <summary>The "licenses" entries, oldest first.</summary>
    public async Task<List<AuditEntry>> LicenseAuditAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Category == LicenseManagementCore.Category).OrderBy(e => e.Sequence).ToListAsync();
    }

    public static JsonObject Details(AuditEntry entry) => JsonNode.Parse(entry.Details)!.AsObject();

    public async Task<List<InstalledLicense>> RowsAsync()
    {
        await using var db = await Store.Contexts.CreateDbContextAsync();
        return await db.Licenses.AsNoTracking().OrderBy(l => l.InstalledAt).ThenBy(l => l.Id).ToListAsync();
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
