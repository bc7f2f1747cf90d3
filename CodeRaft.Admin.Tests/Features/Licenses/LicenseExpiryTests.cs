using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>Graded expiry (valid → expiring → grace → expired) and the clock-rollback defence, on a settable clock.</summary>
public sealed class LicenseExpiryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Expiry = LicensesWorld.Start.AddDays(60);
    private readonly TempDirectory _data = new("coderaft-license-expiry");
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private LicensesWorld _world = null!;

    public async Task InitializeAsync()
    {
        _world = await LicensesWorld.StartAsync(_data.Path, _secret);
        await _world.InstallAsync(TestLicenses.Vendor.Issue(maxUsers: 5, issuedAt: LicensesWorld.Start.AddDays(-1), expiresAt: Expiry));
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [InlineData(-31, LicenseStates.Valid, true)]
    [InlineData(-29, LicenseStates.Expiring, true)]
    [InlineData(1, LicenseStates.Grace, true)]
    [InlineData(29, LicenseStates.Grace, true)]
    [InlineData(31, LicenseStates.Expired, false)]
    public async Task Catalog_DaysAfterExpiry_StateAndWhetherSeatsCanBeGranted(int daysAfterExpiry, string state, bool grants)
    {
        var user = await _world.SeedUserAsync(AdminRole.Viewer);
        var holder = await _world.SeedUserAsync(AdminRole.Viewer, Product.EntraGuard);
        await MoveClockAsync(Expiry.AddDays(daysAfterExpiry));

        var entitlement = (await _world.Catalog.GetAllAsync()).Single(e => e.Product == Product.EntraGuard);
        var grant = await _world.Users.GrantProductAsync(UserOperator.HostCli, user, Product.EntraGuard);

        Assert.Equal(state, entitlement.State);
        Assert.Equal(5, entitlement.Seats);
        Assert.Equal(grants, grant.Succeeded);
        if (!grants)
        {
            Assert.Contains("grace period has ended", grant.Message, StringComparison.Ordinal);
        }

        // Expiry never takes anything away: the user who had access keeps it in every state.
        await using var db = await _world.Store.Contexts.CreateDbContextAsync();
        Assert.True(await db.ProductAccess.AnyAsync(a => a.UserId == holder && a.Product == Product.EntraGuard));
    }

    [Fact]
    public async Task Catalog_ClockSetBackAfterExpiry_StaysExpiredReportsTheRollbackAndAuditsItOnce()
    {
        await MoveClockAsync(Expiry.AddDays(40)); // expired beyond grace, and seen
        await MoveClockAsync(Expiry.AddDays(-20)); // someone sets the clock back 60 days

        var snapshot = await _world.Catalog.GetAsync();
        _world.Catalog.Invalidate();
        await _world.Catalog.GetAsync();

        Assert.True(snapshot.Clock.RolledBack);
        Assert.Equal(Expiry.AddDays(40), snapshot.Clock.Now);
        Assert.Equal(LicenseStates.Expired, snapshot.For(Product.EntraGuard).State);
        Assert.Null(await _world.Catalog.GetSeatsAsync(Product.EntraGuard));
        var rollback = Assert.Single(await _world.LicenseAuditAsync(), e => e.Action == "license.clock_rollback");
        Assert.Equal("failure", rollback.Outcome);
    }

    [Fact]
    public async Task Catalog_ClockSetBackAcrossARestart_TheStoredLatestTimeStillWins()
    {
        await MoveClockAsync(Expiry.AddDays(40));

        // A new "process" whose clock is 60 days behind: the watermark comes from the store, not from memory.
        await using var restarted = await LicensesWorld.StartAsync(_data.Path, _secret, new SettableTime(Expiry.AddDays(-20)));
        var snapshot = await restarted.Catalog.GetAsync();

        Assert.True(snapshot.Clock.RolledBack);
        Assert.Equal(LicenseStates.Expired, snapshot.For(Product.EntraGuard).State);
    }

    [Fact]
    public async Task Catalog_WatermarkRowDeletedAndClockSetBackAcrossARestart_TheAuditChainsLatestTimeStillWins()
    {
        await MoveClockAsync(Expiry.AddDays(40));
        await _world.Store.Get<CodeRaft.Admin.Features.Audit.Chain.AuditWriter>().AppendAsync(new CodeRaft.Admin.Features.Audit.Chain.AuditEvent { Category = "system", Action = "test.tick" });
        await using (var db = await _world.Store.Contexts.CreateDbContextAsync())
        {
            await db.Settings.Where(s => s.Key == LicenseClock.SettingKey).ExecuteDeleteAsync();
        }

        // The rolled-back process writes entries of its own (earlier timestamps) before licenses are read.
        await using var restarted = await LicensesWorld.StartAsync(_data.Path, _secret, new SettableTime(Expiry.AddDays(-20)));
        await restarted.Store.Get<CodeRaft.Admin.Features.Audit.Chain.AuditWriter>().AppendAsync(new CodeRaft.Admin.Features.Audit.Chain.AuditEvent { Category = "system", Action = "test.tick" });
        var snapshot = await restarted.Catalog.GetAsync();

        Assert.True(snapshot.Clock.RolledBack);
        Assert.Equal(LicenseStates.Expired, snapshot.For(Product.EntraGuard).State);
    }

    [Fact]
    public async Task Catalog_ClockBehindByLessThanADay_NotReportedButNeverExtendsTheLicense()
    {
        await MoveClockAsync(Expiry.AddDays(30).AddHours(12)); // just past grace
        await MoveClockAsync(Expiry.AddDays(30).AddHours(-6)); // 18 hours back: inside grace by the system clock

        var snapshot = await _world.Catalog.GetAsync();

        Assert.False(snapshot.Clock.RolledBack);
        Assert.Equal(LicenseStates.Expired, snapshot.For(Product.EntraGuard).State);
    }

    /// <summary>Moves the clock and lets the catalog see it (it reloads at once when invalidated).</summary>
    private async Task MoveClockAsync(DateTimeOffset to)
    {
        _world.Time.Now = to;
        _world.Catalog.Invalidate();
        await _world.Catalog.GetAsync();
    }
}
