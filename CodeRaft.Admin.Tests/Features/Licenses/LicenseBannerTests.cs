using Bunit;
using CodeRaft.Admin.Components.Layout;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>
/// The license banners over a real store and catalog: expiring (≤ 30 days), grace, expired past grace, a clock set back,
/// and nothing for valid or missing licenses — in the layout for signed-in users, never with key material.
/// </summary>
public sealed class LicenseBannerTests : AdminBunitContext, IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-license-banner");

    private LicensesPageWorld World { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        World = await LicensesPageWorld.StartAsync(_data.Path);
        AddFallbackServices(services => services.AddSingleton(World.Catalog));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await World.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Render_ExpiringWithin30Days_ShowsDaysLeftAndLinksToLicenses()
    {
        var now = World.Time.GetUtcNow();
        var key = TestLicenses.Vendor.Issue("entraguard", expiresAt: now.AddDays(12).AddHours(-2));
        await World.InstallAsync(key);
        Authorization.SetAuthorized("owner@example.test");
        Authorization.SetRoles(nameof(AdminRole.Owner));

        var banner = Render<LicenseBanner>();

        var alert = banner.WaitForElement("[data-license-banner]");
        Assert.Equal(("expiring", "entraguard"), (alert.GetAttribute("data-license-banner"), alert.GetAttribute("data-product")));
        Assert.Contains($"The EntraGuard license expires in 12 days ({LicenseBanner.Date(now.AddDays(12).AddHours(-2))}).", alert.TextContent, StringComparison.Ordinal);
        Assert.Equal("settings/licenses", alert.QuerySelector("a")!.GetAttribute("href"));
        Assert.DoesNotContain(key.Split('.')[1][..20], banner.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ExpiringForAViewer_NoLinkToThePageTheyCannotOpen()
    {
        await World.InstallAsync(TestLicenses.Vendor.Issue("entraguard", expiresAt: World.Time.GetUtcNow().AddDays(5)));
        Authorization.SetAuthorized("viewer@example.test");
        Authorization.SetRoles(nameof(AdminRole.Viewer));

        var banner = Render<LicenseBanner>();

        var alert = banner.WaitForElement("[data-license-banner]");
        Assert.Null(alert.QuerySelector("a"));
        Assert.Contains("An Owner can install a new license.", alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_InGrace_SaysUntilWhen()
    {
        var now = World.Time.GetUtcNow();
        await World.InstallAsync(TestLicenses.Vendor.Issue("ravenscan", issuedAt: now.AddDays(-400), expiresAt: now.AddDays(-3)));

        var banner = Render<LicenseBanner>();

        var alert = banner.WaitForElement("[data-license-banner=grace]");
        Assert.Contains($"expired on {LicenseBanner.Date(now.AddDays(-3))}; it keeps working in its grace period until {LicenseBanner.Date(now.AddDays(27))}",
            alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ExpiredPastGrace_SaysNewGrantsAreRefused()
    {
        var now = World.Time.GetUtcNow();
        await World.InstallAsync(TestLicenses.Vendor.Issue("redfox-bastion", expiresAt: now.AddDays(20)));
        World.Time.Advance(TimeSpan.FromDays(60)); // past expiry and the 30 days of grace; the catalog's 5 s cache is stale

        var banner = Render<LicenseBanner>();

        var alert = banner.WaitForElement("[data-license-banner=expired]");
        Assert.Equal("redfox-bastion", alert.GetAttribute("data-product"));
        Assert.Contains("its grace period has ended: new RedFox Bastion grants are refused. Users keep their access", alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ClockRolledBack_SaysWhenLicensesAreJudged()
    {
        var latest = World.Time.GetUtcNow().AddDays(3);
        await World.RememberLatestSeenAsync(latest);

        var banner = Render<LicenseBanner>();

        var alert = banner.WaitForElement("[data-license-banner=clock]");
        Assert.Contains($"The system clock is more than 24 hours behind the latest time seen; licenses are judged at {latest.UtcDateTime:yyyy-MM-dd HH:mm} UTC.",
            alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ValidOrUnlicensed_RendersNothing()
    {
        await World.InstallAsync(TestLicenses.Vendor.Issue("entraguard", expiresAt: World.Time.GetUtcNow().AddDays(31)));

        var banner = Render<LicenseBanner>();

        var snapshot = await World.Catalog.GetAsync();
        Assert.Equal(LicenseStates.Valid, snapshot.For(Product.EntraGuard).State); // 31 days: outside the window
        Assert.Equal(LicenseStates.Unlicensed, snapshot.For(Product.Ravenscan).State);
        Assert.Empty(LicenseBanner.For(snapshot));
        Assert.Empty(banner.FindAll("[data-license-banner]"));
    }

    [Fact]
    public async Task Render_OnTheLicensesPage_LeavesTheBannersToThePage()
    {
        await World.InstallAsync(TestLicenses.Vendor.Issue("entraguard", expiresAt: World.Time.GetUtcNow().AddDays(5)));
        Services.GetRequiredService<NavigationManager>().NavigateTo("settings/licenses");

        var banner = Render<LicenseBanner>();

        Assert.Empty(banner.FindAll("[data-license-banner]"));
        Services.GetRequiredService<NavigationManager>().NavigateTo("users");
        banner.WaitForElement("[data-license-banner=expiring]");
    }

    [Fact]
    public async Task Layout_Anonymous_NoBanner()
    {
        await World.InstallAsync(TestLicenses.Vendor.Issue("entraguard", expiresAt: World.Time.GetUtcNow().AddDays(5)));

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, b => b.AddContent(0, "page")));

        Assert.Empty(layout.FindAll("[data-license-banner]"));
    }

    [Fact]
    public async Task Layout_FullySignedIn_ShowsTheBannerAboveThePage()
    {
        await World.InstallAsync(TestLicenses.Vendor.Issue("entraguard", expiresAt: World.Time.GetUtcNow().AddDays(5)));
        Authorization.SetAuthorized("owner@example.test");
        Authorization.SetPolicies(AdminClaims.FullySignedInPolicy);

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, b => b.AddContent(0, "page")));

        layout.WaitForElement("#license-banners [data-license-banner=expiring]");
    }
}
