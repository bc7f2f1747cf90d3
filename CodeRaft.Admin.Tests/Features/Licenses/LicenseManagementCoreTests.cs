using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Licenses;

public sealed class LicenseManagementCoreTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-license-core");
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private LicensesWorld _world = null!;

    public async Task InitializeAsync() => _world = await LicensesWorld.StartAsync(_data.Path, _secret);

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    private static string Issue(string product = "entraguard", int maxUsers = 10, string plan = "enterprise", int expiresInDays = 365, IReadOnlyList<string>? features = null) =>
        TestLicenses.Vendor.Issue(product, maxUsers, plan, LicensesWorld.Start.AddDays(-1), LicensesWorld.Start.AddDays(expiresInDays), features: features);

    [Fact]
    public async Task InstallAsync_ValidKey_InstalledWithItsAuditEntryAndSeatsBecomeGrantable()
    {
        var owner = await _world.SeedUserAsync(AdminRole.Owner);
        var key = Issue(maxUsers: 25);

        var result = await _world.Core.InstallAsync(UserOperator.ConsoleUser(owner), key);

        Assert.Equal(LicenseOutcome.Succeeded, result.Outcome);
        Assert.Equal(25, await _world.Catalog.GetSeatsAsync(Product.EntraGuard));
        var row = Assert.Single(await _world.RowsAsync());
        Assert.Equal(key, row.Key);
        Assert.Equal(owner.ToString(), row.InstalledBy);
        var entry = Assert.Single(await _world.LicenseAuditAsync());
        Assert.Equal("license.installed", entry.Action);
        Assert.Equal(owner.ToString(), entry.ActorId);
        var details = LicensesWorld.Details(entry);
        Assert.Equal(row.LicenseId.ToString(), (string?)details["licenseId"]);
        Assert.Equal(25, (int?)details["maxUsers"]);
        Assert.Equal("valid", (string?)details["state"]);
        Assert.DoesNotContain(key.Split('.')[2], entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAsync_SecondLicenseOfTheProduct_ReplacesTheFirstAndKeepsItInTheHistory()
    {
        await _world.InstallAsync(Issue(maxUsers: 5, plan: "standard", features: ["conditional-access"]));
        var preview = (await _world.Core.PreviewAsync(UserOperator.HostCli, Issue(maxUsers: 50, features: ["conditional-access", "access-reviews"]))).Preview!;

        await _world.InstallAsync(preview.License.Key);

        Assert.NotNull(preview.Replaces);
        Assert.Equal(["access-reviews"], preview.FeaturesGained);
        Assert.Empty(preview.FeaturesLost);
        var rows = await _world.RowsAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal("replaced", rows[0].RemovedHow);
        Assert.Null(rows[1].RemovedAt);
        Assert.Equal(50, await _world.Catalog.GetSeatsAsync(Product.EntraGuard));
        Assert.Equal(preview.Replaces!.LicenseId.ToString(), (string?)LicensesWorld.Details((await _world.LicenseAuditAsync())[^1])["replaces"]);
    }

    [Fact]
    public async Task InstallAsync_SameKeyTwice_UnchangedAndNotAuditedAgain()
    {
        var key = Issue();
        await _world.InstallAsync(key);

        var again = await _world.Core.InstallAsync(UserOperator.HostCli, key);

        Assert.Equal(LicenseOutcome.Unchanged, again.Outcome);
        Assert.Single(await _world.RowsAsync());
        Assert.Single(await _world.LicenseAuditAsync());
    }

    [Theory]
    [InlineData(AdminRole.Administrator)]
    [InlineData(AdminRole.Auditor)]
    public async Task InstallAsync_NotAnOwner_DeniedAuditedAndNothingInstalled(AdminRole role)
    {
        var user = await _world.SeedUserAsync(role);

        var result = await _world.Core.InstallAsync(UserOperator.ConsoleUser(user), Issue());

        Assert.Equal(LicenseOutcome.Denied, result.Outcome);
        Assert.Empty(await _world.RowsAsync());
        var entry = Assert.Single(await _world.LicenseAuditAsync());
        Assert.Equal("denied", entry.Outcome);
        Assert.False(await _world.Core.MayManageAsync(UserOperator.ConsoleUser(user)));
    }

    [Fact]
    public async Task RemoveAsync_InstalledLicense_RemovedUsersKeepAccessAndNewGrantsRefused()
    {
        await _world.InstallAsync(Issue(maxUsers: 5));
        var user = await _world.SeedUserAsync(AdminRole.Viewer, Product.EntraGuard);
        var other = await _world.SeedUserAsync(AdminRole.Viewer);

        var result = await _world.Core.RemoveAsync(UserOperator.HostCli, Product.EntraGuard);
        var grant = await _world.Users.GrantProductAsync(UserOperator.HostCli, other, Product.EntraGuard);

        Assert.Equal(LicenseOutcome.Succeeded, result.Outcome);
        Assert.Equal("removed", Assert.Single(await _world.RowsAsync()).RemovedHow);
        Assert.Null(await _world.Catalog.GetSeatsAsync(Product.EntraGuard));
        Assert.Equal(UserOperationOutcome.Denied, grant.Outcome);
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        Assert.True(await db.ProductAccess.AnyAsync(a => a.UserId == user && a.Product == Product.EntraGuard));
        Assert.Equal(LicenseOutcome.NotFound, (await _world.Core.RemoveAsync(UserOperator.HostCli, Product.EntraGuard)).Outcome);
    }

    [Fact]
    public async Task PreviewAsync_FewerSeatsThanUsersGranted_ReportsOverAllocationAndChangesNothing()
    {
        for (var i = 0; i < 4; i++)
        {
            await _world.SeedUserAsync(AdminRole.Viewer, Product.Ravenscan);
        }

        var check = await _world.Core.PreviewAsync(UserOperator.HostCli, Issue("ravenscan", maxUsers: 3));

        Assert.Null(check.Rejection);
        Assert.Equal(4, check.Preview!.SeatsInUse);
        Assert.True(check.Preview.OverAllocated);
        Assert.Empty(await _world.RowsAsync());
        Assert.Empty(await _world.LicenseAuditAsync());
    }

    [Fact]
    public async Task PreviewAsync_StandardPlanListingEnterpriseFeatures_ThoseAreNotGrantedNorReported()
    {
        var key = Issue("redfox-bastion", plan: "standard", features: ["session-proxy", "session-recording", "future-thing"]);

        var preview = (await _world.Core.PreviewAsync(UserOperator.HostCli, key)).Preview!;
        await _world.InstallAsync(key);
        var entitlement = (await _world.Catalog.GetAllAsync()).Single(e => e.Product == Product.RedFoxBastion);

        Assert.Equal(["session-recording"], preview.FeaturesNotGranted);
        Assert.Equal(["session-proxy", "future-thing"], preview.FeaturesGained);
        Assert.Equal(["session-proxy", "future-thing"], entitlement.Features);
    }

    [Fact]
    public async Task GrantProductAsync_ConcurrentGrantsAgainstTheLicense_NeverExceedTheSeats()
    {
        await _world.InstallAsync(Issue(maxUsers: 3));
        var users = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            users.Add(await _world.SeedUserAsync(AdminRole.Viewer));
        }

        var results = await Task.WhenAll(users.Select(u => Task.Run(() => _world.Users.GrantProductAsync(UserOperator.HostCli, u, Product.EntraGuard))));

        Assert.Equal(3, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal("All 3 seats of EntraGuard are in use.", r.Message));
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(3, await db.ProductAccess.CountAsync(a => a.Product == Product.EntraGuard));
    }

    [Fact]
    public async Task Catalog_KeyEditedInTheDatabase_NotHonouredAndGrantsRefusedWithTheReason()
    {
        await _world.InstallAsync(Issue(maxUsers: 5));
        var user = await _world.SeedUserAsync(AdminRole.Viewer);
        await using (var db = await _world.Store.Contexts.CreateDbContextAsync())
        {
            // A database administrator raises the seats: the readable copy AND a re-encoded payload in the key.
            var row = await db.Licenses.SingleAsync();
            var parts = row.Key.Split('.');
            var json = System.Text.Encoding.UTF8.GetString(LicenseIssuer.LicenseKeyWriter.FromBase64Url(parts[1])).Replace("\"maxUsers\":5", "\"maxUsers\":500", StringComparison.Ordinal);
            row.Key = $"{parts[0]}.{LicenseIssuer.LicenseKeyWriter.Base64Url(System.Text.Encoding.UTF8.GetBytes(json))}.{parts[2]}";
            row.MaxUsers = 500;
            await db.SaveChangesAsync();
        }

        _world.Catalog.Invalidate();
        var product = (await _world.Catalog.GetAsync()).For(Product.EntraGuard);
        var grant = await _world.Users.GrantProductAsync(UserOperator.HostCli, user, Product.EntraGuard);

        Assert.Equal(LicenseRejectionReason.BadSignature, product.Invalid!.Reason);
        Assert.Equal(LicenseStates.Unlicensed, (await _world.Catalog.GetAllAsync()).Single(e => e.Product == Product.EntraGuard).State);
        Assert.Equal(UserOperationOutcome.Denied, grant.Outcome);
        Assert.Contains("not valid", grant.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallAsync_ProductionWithTheKeyOnlyInAFile_RefusedAsUntrustedKey()
    {
        // The same key file a Development portal trusts is read in Production, but only to name the refusal.
        await using var production = await LicensesWorld.StartAsync(Path.Combine(_data.Path, "production"), TestSecrets.NewMasterSecret(), environment: "Production");

        var result = await production.Core.InstallAsync(UserOperator.HostCli, Issue());
        var unknown = await production.Core.InstallAsync(UserOperator.HostCli, TestLicenses.Other.Issue(TestLicenses.Payload(issuedAt: LicensesWorld.Start.AddDays(-1))));

        Assert.Equal(LicenseRejectionReason.UntrustedKey, result.Rejection!.Reason);
        Assert.Contains("Licensing:TrustedPublicKeyFiles", result.Message, StringComparison.Ordinal);
        Assert.Equal(LicenseRejectionReason.BadSignature, unknown.Rejection!.Reason);
        Assert.Empty(await production.RowsAsync());
        Assert.Contains(production.Store.Get<TrustedLicenseKeys>().Keys, k => k.Source == "embedded" && k.Trusted);
    }

    [Fact]
    public async Task InstallAsync_PerpetualLicense_InstalledAndValid()
    {
        // 9999-12-31 plus the grace period is beyond DateTimeOffset's range: it must saturate, not throw.
        await _world.InstallAsync(TestLicenses.Vendor.Issue(issuedAt: LicensesWorld.Start.AddDays(-1), expiresAt: new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero)));

        Assert.Equal(LicenseStates.Valid, (await _world.Catalog.GetAsync()).For(Product.EntraGuard).State);
    }

    [Fact]
    public async Task Catalog_KeyEditedInTheDatabase_AuditedOnceAsRejected()
    {
        await _world.InstallAsync(Issue(maxUsers: 5));
        await using (var db = await _world.Store.Contexts.CreateDbContextAsync())
        {
            var row = await db.Licenses.SingleAsync();
            row.Key = row.Key[..^4] + (row.Key[^4] == 'A' ? "BAAA" : "AAAA");
            await db.SaveChangesAsync();
        }

        _world.Catalog.Invalidate();
        await _world.Catalog.GetAsync();
        _world.Catalog.Invalidate();
        await _world.Catalog.GetAsync();

        var rejected = Assert.Single(await _world.LicenseAuditAsync(), e => e.Action == "license.rejected");
        var details = LicensesWorld.Details(rejected);
        Assert.Equal("installed license", (string?)details["source"]);
        Assert.Equal((await _world.RowsAsync())[0].LicenseId.ToString(), rejected.TargetId);
    }

    [Fact]
    public async Task GrantProductAsync_LicenseReplacedByAnotherProcessAMomentAgo_TheNewSeatsDecide()
    {
        await _world.InstallAsync(Issue(maxUsers: 5));
        await _world.SeedUserAsync(AdminRole.Viewer, Product.EntraGuard);
        var user = await _world.SeedUserAsync(AdminRole.Viewer);
        Assert.Equal(5, await _world.Catalog.GetSeatsAsync(Product.EntraGuard)); // this process's snapshot: 5 seats

        await using (var other = await LicensesWorld.StartAsync(_data.Path, _secret))
        {
            await other.InstallAsync(Issue(maxUsers: 1));
        }

        var grant = await _world.Users.GrantProductAsync(UserOperator.HostCli, user, Product.EntraGuard);

        Assert.Equal(UserOperationOutcome.Denied, grant.Outcome);
        Assert.Equal("All 1 seats of EntraGuard are in use.", grant.Message);
    }

    [Fact]
    public async Task Catalog_LicenseSignedByAConfiguredKey_ReportedAsADevelopmentLicense()
    {
        await _world.InstallAsync(Issue());

        var entitlement = (await _world.Catalog.GetAllAsync()).Single(e => e.Product == Product.EntraGuard);

        Assert.True(entitlement.DevelopmentLicense);
        Assert.True((await _world.Catalog.GetAsync()).For(Product.EntraGuard).License!.SignedByConfiguredKey);
    }

    [Fact]
    public async Task RemoveAsync_LicenseReplacedSinceTheOwnerLooked_NothingRemoved()
    {
        await _world.InstallAsync(Issue(maxUsers: 5));
        var seen = (await _world.RowsAsync())[0].LicenseId;
        await _world.InstallAsync(Issue(maxUsers: 50)); // another tab, or the CLI

        var result = await _world.Core.RemoveAsync(UserOperator.HostCli, Product.EntraGuard, seen);

        Assert.Equal(LicenseOutcome.NotFound, result.Outcome);
        Assert.Equal(50, await _world.Catalog.GetSeatsAsync(Product.EntraGuard));
        Assert.DoesNotContain(await _world.LicenseAuditAsync(), e => e.Action == "license.removed");
    }
}
