using System.Text;
using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>
/// The Licenses page and its install/remove dialog over a real store that trusts the test vendor key, the real catalog,
/// core and service, and a real step-up: one bUnit context is one circuit of a seeded user (StepUpUser's TOTP key).
/// Licenses are real keys signed at run time (TestLicenses), dated relative to now.
/// </summary>
public sealed class LicensesPageTests : AdminBunitContext, IAsyncLifetime
{
    private const string Dialog = ".mud-dialog";

    private readonly TempDirectory _data = new("coderaft-licenses-page");

    private LicensesPageWorld World { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync() => World = await LicensesPageWorld.StartAsync(_data.Path);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await World.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Render_InstalledLicenses_ShowsStateSeatsFeaturesAndHistory()
    {
        await SignInAsAsync(AdminRole.Owner);
        await World.GrantAsync(Product.EntraGuard, 3);
        var entraguard = TestLicenses.Vendor.Issue("entraguard", maxUsers: 10, plan: "enterprise", features: ["conditional-access", "privileged-identity"]);
        var now = World.Time.GetUtcNow();
        var ravenscan = TestLicenses.Payload("ravenscan", maxUsers: 5, plan: "standard", expiresAt: now.AddDays(10).AddHours(-1), features: ["network-scan", "agent-scan"]);
        await World.InstallAsync(entraguard);
        await World.InstallAsync(TestLicenses.Vendor.Issue(ravenscan));

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("valid", State(page, "entraguard")));
        var card = Card(page, "entraguard");
        Assert.Equal("Test Org", card.QuerySelector("[data-field=organization]")!.TextContent.Trim());
        Assert.Equal("enterprise", card.QuerySelector("[data-field=plan]")!.TextContent.Trim());
        var seats = card.QuerySelector("[data-field=seats]")!;
        Assert.Equal(("3", "10"), (seats.GetAttribute("data-used"), seats.GetAttribute("data-max")));
        Assert.Equal("3 of 10 seats used, 7 available", seats.TextContent.Trim());
        Assert.Equal(["conditional-access", "privileged-identity"], card.QuerySelectorAll("[data-feature]").Select(e => e.GetAttribute("data-feature")));
        Assert.Matches("^[0-9a-f]{16}$", card.QuerySelector("[data-field=fingerprint]")!.TextContent.Trim());
        Assert.Contains("Development license", card.QuerySelector("[data-field=development-license]")!.TextContent, StringComparison.Ordinal); // a test key from Licensing:TrustedPublicKeyFiles
        Assert.Equal(now.AddDays(365).AddDays(-1).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            card.QuerySelector("[data-field=expires]")!.TextContent.Trim());

        // Expiring, standard plan: the enterprise-only feature is listed as not granted.
        Assert.Equal("expiring", State(page, "ravenscan"));
        Assert.Equal("expiring in 10 days", Card(page, "ravenscan").QuerySelector("[data-field=state]")!.TextContent.Trim());
        Assert.Equal(["network-scan"], Card(page, "ravenscan").QuerySelectorAll("[data-feature]").Select(e => e.GetAttribute("data-feature")));
        Assert.Equal(["agent-scan"], Card(page, "ravenscan").QuerySelectorAll("[data-feature-gated]").Select(e => e.GetAttribute("data-feature-gated")));
        Assert.Equal(ravenscan.LicenseId.ToString(), Card(page, "ravenscan").QuerySelector("[data-field=license-id]")!.TextContent.Trim());
        Assert.Equal("expiring", Assert.Single(page.FindAll("[data-license-banner]")).GetAttribute("data-license-banner"));

        Assert.Equal("unlicensed", State(page, "redfox-bastion"));
        Assert.Empty(page.FindAll("[data-remove=\"redfox-bastion\"]"));
        Assert.NotNull(page.Find("[data-remove=\"entraguard\"]"));

        var history = page.FindAll("#license-history tbody tr");
        Assert.Equal(2, history.Count);
        Assert.Equal(ravenscan.LicenseId.ToString(), history[0].GetAttribute("data-license-id")); // newest first
        Assert.Equal("Ravenscan", history[0].QuerySelector("[data-col=product]")!.TextContent.Trim());
        Assert.Contains("by cli", history[1].QuerySelector("[data-col=installed]")!.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(entraguard, page.Markup, StringComparison.Ordinal); // no key material on the page
    }

    [Fact]
    public async Task Preview_ReplacingLicense_ShowsGainedLostNotGrantedAndOverAllocation_NothingChanges()
    {
        await SignInAsAsync(AdminRole.Owner);
        await World.GrantAsync(Product.EntraGuard, 3);
        var installed = TestLicenses.Payload("entraguard", maxUsers: 10, plan: "enterprise", features: ["conditional-access", "privileged-identity"]);
        await World.InstallAsync(TestLicenses.Vendor.Issue(installed));
        var smaller = TestLicenses.Vendor.Issue("entraguard", maxUsers: 2, plan: "standard", features: ["conditional-access", "identity-protection", "access-reviews"]);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await CheckAsync(page, smaller);

        var preview = page.WaitForElement("#license-preview");
        Assert.Equal("EntraGuard", Field(preview, "product"));
        Assert.Equal("standard", Field(preview, "plan"));
        Assert.Equal(["identity-protection"], preview.QuerySelectorAll("[data-gained]").Select(e => e.GetAttribute("data-gained")));
        Assert.Equal(["privileged-identity"], preview.QuerySelectorAll("[data-lost]").Select(e => e.GetAttribute("data-lost")));
        Assert.Equal(["access-reviews"], preview.QuerySelectorAll("[data-not-granted]").Select(e => e.GetAttribute("data-not-granted")));
        Assert.Equal("2 seats, 3 users granted now", Field(preview, "seats"));
        Assert.Equal("2 seats < 3 in use: no new grants until users are removed; nobody loses access.", page.Find("#license-preview-overallocated").TextContent.Trim());
        Assert.StartsWith(installed.LicenseId.ToString(), Field(preview, "replaces"), StringComparison.Ordinal);
        Assert.Equal("valid", preview.QuerySelector("[data-field=expires]")!.GetAttribute("data-state"));
        Assert.NotNull(page.Find("#license-install"));
        Assert.Empty(page.FindAll("#license-rejection"));

        var stored = Assert.Single(await World.LicensesAsync());
        Assert.Equal(installed.LicenseId, stored.LicenseId);
    }

    [Fact]
    public async Task Preview_ExpiredLicenseInGrace_WarnsAboutTheGracePeriod()
    {
        await SignInAsAsync(AdminRole.Owner);
        var now = World.Time.GetUtcNow();
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await CheckAsync(page, TestLicenses.Vendor.Issue("redfox-bastion", issuedAt: now.AddDays(-400), expiresAt: now.AddDays(-5)));

        page.WaitForAssertion(() => Assert.Equal("grace", page.Find("#license-preview [data-field=expires]").GetAttribute("data-state")));
        Assert.Contains($"until {LicenseBanner.Date(now.AddDays(25))}", page.Find("#license-preview-grace").TextContent, StringComparison.Ordinal);
        Assert.Contains("nothing: no license of this product is installed", Field(page.Find("#license-preview"), "replaces"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TamperedKey_ShowsBadSignatureNothingInstalledAndAudited()
    {
        await SignInAsAsync(AdminRole.Owner);
        var key = TestLicenses.Vendor.Issue("entraguard", maxUsers: 50);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await CheckAsync(page, LicensesPageWorld.Tamper(key));

        var alert = page.WaitForElement("#license-rejection");
        Assert.Equal("alert", alert.GetAttribute("role"));
        Assert.Equal("bad_signature", alert.GetAttribute("data-reason"));
        Assert.Equal("The signature does not match: the license key was changed after it was issued, or it was not issued with a CodeRaft license key.", alert.TextContent.Trim());
        Assert.Empty(page.FindAll("#license-preview"));
        Assert.Empty(page.FindAll("#license-install"));
        Assert.Empty(await World.LicensesAsync());
        var audit = Assert.Single(await World.LicenseAuditAsync());
        Assert.Equal(("license.rejected", "failure"), (audit.Action, audit.Outcome));
        Assert.Contains("bad_signature", audit.Details, StringComparison.Ordinal);
        Assert.Equal("unlicensed", State(page, "entraguard"));
    }

    [Fact]
    public async Task Install_AfterStepUp_InstallsAndRefreshesCardsHistoryAndSnackbar()
    {
        await SignInAsAsync(AdminRole.Owner);
        await World.GrantAsync(Product.Ravenscan, 2);
        var payload = TestLicenses.Payload("ravenscan", maxUsers: 25, plan: "enterprise", features: ["network-scan", "agent-scan"]);
        var (host, page) = RenderPage();
        page.WaitForElement("#license-key");
        await CheckAsync(page, TestLicenses.Vendor.Issue(payload));
        page.WaitForElement("#license-preview");

        await host.InvokeAsync(() => page.Find("#license-install").Click());
        host.WaitForElement($"{Dialog} #license-action-dialog[data-action=install] [data-stepup-challenge=\"license.install\"]");
        Assert.Empty(host.FindAll("#license-action-confirm"));
        Assert.Empty(await World.LicensesAsync());
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        await host.InvokeAsync(() => host.WaitForElement("#license-action-confirm").Click());

        host.WaitForAssertion(() => Assert.Equal("succeeded", host.Find("#license-action-result").GetAttribute("data-outcome")));
        var message = $"Installed the Ravenscan license for Test Org: 25 seats (2 in use), expires {LicenseBanner.Date(payload.ExpiresAt)}.";
        Assert.Equal(message, host.Find("#license-action-result").TextContent.Trim());
        host.WaitForAssertion(() => Assert.Contains(message, host.Find(".mud-snackbar").TextContent, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.Equal("valid", State(page, "ravenscan")));
        Assert.Equal("2 of 25 seats used, 23 available", Card(page, "ravenscan").QuerySelector("[data-field=seats]")!.TextContent.Trim());
        Assert.Empty(page.FindAll("#license-preview"));
        var row = page.Find($"#license-history tr[data-license-id=\"{payload.LicenseId}\"]");
        Assert.Contains("Owner", row.QuerySelector("[data-col=installed]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(payload.LicenseId, Assert.Single(await World.LicensesAsync()).LicenseId);
        Assert.Contains(await World.LicenseAuditAsync(), e => e.Action == "license.installed" && e.Outcome == "success");
    }

    [Fact]
    public async Task Remove_AfterStepUp_SaysUsersKeepAccessAndKeepsTheHistory()
    {
        await SignInAsAsync(AdminRole.Owner);
        await World.GrantAsync(Product.EntraGuard, 4);
        var payload = TestLicenses.Payload("entraguard", maxUsers: 10);
        await World.InstallAsync(TestLicenses.Vendor.Issue(payload));
        var (host, page) = RenderPage();
        page.WaitForAssertion(() => Assert.Equal("valid", State(page, "entraguard")));

        await host.InvokeAsync(() => page.Find("[data-remove=\"entraguard\"]").Click());
        host.WaitForElement($"{Dialog} #license-action-dialog[data-action=remove] [data-stepup-challenge=\"license.remove\"]");
        Assert.Empty(host.FindAll("#license-action-confirm"));
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        Assert.Equal("The 4 users who have EntraGuard access keep it; new grants are refused until a license is installed. The license stays in the history.",
            string.Join(' ', host.WaitForElement("#license-remove-effect").TextContent.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)));
        await host.InvokeAsync(() => host.Find("#license-action-confirm").Click());

        host.WaitForAssertion(() => Assert.Equal("succeeded", host.Find("#license-action-result").GetAttribute("data-outcome")));
        page.WaitForAssertion(() => Assert.Equal("unlicensed", State(page, "entraguard")));
        Assert.Equal("removed", page.Find($"#license-history tr[data-license-id=\"{payload.LicenseId}\"]").GetAttribute("data-removed"));
        Assert.NotNull(Assert.Single(await World.LicensesAsync()).RemovedAt);
    }

    [Theory]
    [InlineData(AdminRole.Administrator)]
    [InlineData(AdminRole.Auditor)]
    public async Task Render_NotOwner_RefusedNoLicenseDataNoInstall(AdminRole role)
    {
        var payload = TestLicenses.Payload("entraguard", maxUsers: 10);
        await World.InstallAsync(TestLicenses.Vendor.Issue(payload));
        await SignInAsAsync(role);

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("Your role does not include managing licenses: only Owners can.", page.Find("#licenses-error").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-product]"));
        Assert.Empty(page.FindAll("#license-key"));
        Assert.Empty(page.FindAll("[data-remove]"));
        Assert.DoesNotContain(payload.LicenseId.ToString(), page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_LicenseFile_ShowsThePreview()
    {
        await SignInAsAsync(AdminRole.Owner);
        var payload = TestLicenses.Payload("redfox-bastion", maxUsers: 7);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await page.InvokeAsync(() => page.FindComponent<InputFile>().UploadFiles(
            InputFileContent.CreateFromText($"\n  {TestLicenses.Vendor.Issue(payload)}  \r\n", "redfox.lic")));

        page.WaitForAssertion(() => Assert.Equal(payload.LicenseId.ToString(), page.Find("#license-preview").GetAttribute("data-license-id")));
        Assert.Equal("RedFox Bastion", Field(page.Find("#license-preview"), "product"));
    }

    [Fact]
    public async Task Upload_FileWithByteOrderMark_ShowsThePreview()
    {
        // Notepad writes UTF-8 with a BOM: the page goes through the verifier's file rules, which ignore it.
        await SignInAsAsync(AdminRole.Owner);
        var payload = TestLicenses.Payload("ravenscan", maxUsers: 4);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await page.InvokeAsync(() => page.FindComponent<InputFile>().UploadFiles(
            InputFileContent.CreateFromBinary([0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes(TestLicenses.Vendor.Issue(payload) + "\r\n")], "notepad.lic")));

        page.WaitForAssertion(() => Assert.Equal(payload.LicenseId.ToString(), page.Find("#license-preview").GetAttribute("data-license-id")));
        Assert.NotNull(page.Find("#license-preview-development")); // the test vendor's key is a configured one
    }

    [Fact]
    public async Task Upload_NotUtf8_ShowsWhyAndAuditsTheRejection()
    {
        await SignInAsAsync(AdminRole.Owner);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");
        var bytes = Encoding.ASCII.GetBytes(TestLicenses.Vendor.Issue()).Concat(new byte[] { 0xC3, 0x28, 0xFF }).ToArray();

        await page.InvokeAsync(() => page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(bytes, "bad.lic")));

        page.WaitForAssertion(() => Assert.Equal("The license file is not text: it contains bytes that are not UTF-8.", page.Find("#license-rejection").TextContent.Trim()));
        Assert.Empty(page.FindAll("#license-preview"));
        Assert.Empty(await World.LicensesAsync());
        var rejected = Assert.Single(await World.LicenseAuditAsync());
        Assert.Equal("license.rejected", rejected.Action);
        Assert.Contains("not UTF-8", rejected.Details, StringComparison.Ordinal); // the audit gives the reason the Owner saw
    }

    [Fact]
    public async Task Upload_TooLarge_RefusedWithoutReading()
    {
        await SignInAsAsync(AdminRole.Owner);
        var (_, page) = RenderPage();
        page.WaitForElement("#license-key");

        await page.InvokeAsync(() => page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(new byte[LicensesPage.MaxUploadBytes + 1], "big.lic")));

        page.WaitForAssertion(() => Assert.Contains("a license file is at most 65,536 bytes", page.Find("#license-rejection").TextContent, StringComparison.Ordinal));
        Assert.Empty(await World.LicensesAsync());
    }

    [Fact]
    public async Task SeatsTile_Viewer_SeesStateSeatsAndExpiryButNoLicenseData()
    {
        await SignInAsAsync(AdminRole.Viewer);
        await World.GrantAsync(Product.EntraGuard, 3);
        var payload = TestLicenses.Payload("entraguard", maxUsers: 10);
        await World.InstallAsync(TestLicenses.Vendor.Issue(payload));

        var tile = Render<LicenseSeatsTile>(p => p.Add(t => t.Licenses, Services.GetRequiredService<LicenseService>()));

        tile.WaitForElement("#dashboard-licenses");
        var entraguard = tile.Find("#dashboard-licenses [data-product=entraguard]");
        Assert.Equal(("valid", "3", "10"), (entraguard.GetAttribute("data-state"), entraguard.GetAttribute("data-used"), entraguard.GetAttribute("data-seats")));
        Assert.Contains("3 of 10 seats used", entraguard.TextContent, StringComparison.Ordinal);
        Assert.Equal("unlicensed", tile.Find("#dashboard-licenses [data-product=ravenscan]").GetAttribute("data-state"));
        Assert.DoesNotContain(payload.LicenseId.ToString(), tile.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(TestLicenses.OrganizationName, tile.Markup, StringComparison.Ordinal);
    }

    /// <summary>Seeds a user of <paramref name="role"/> and makes them this circuit's user.</summary>
    private async Task<Guid> SignInAsAsync(AdminRole role)
    {
        var id = await World.SeedAsync(role);
        AddFallbackServices(services => World.AddCircuitServices(services, id));
        Authorization.SetAuthorized($"{role}@example.test");
        Authorization.SetRoles(role.ToString());
        return id;
    }

    /// <summary>The page next to the providers its dialogs and snackbars render into (the layout has them).</summary>
    private (IRenderedComponent<IComponent> Host, IRenderedComponent<LicensesPage> Page) RenderPage()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<LicensesPage>(3);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<LicensesPage>());
    }

    private static async Task CheckAsync(IRenderedComponent<LicensesPage> page, string key)
    {
        page.Find("textarea#license-key").Input(key);
        await page.InvokeAsync(() => page.Find("#license-check").Click());
    }

    private static IElement Card(IRenderedComponent<LicensesPage> page, string product) => page.Find($"#licenses-products [data-product=\"{product}\"]");

    private static string? State(IRenderedComponent<LicensesPage> page, string product) =>
        Card(page, product).QuerySelector("[data-field=state]")!.GetAttribute("data-state");

    private static string Field(IElement scope, string field) => scope.QuerySelector($"[data-field={field}]")!.TextContent.Trim();

    private static void StepUp(IRenderedComponent<IComponent> host, string code)
    {
        host.Find($"{Dialog} input[data-stepup-code]").Change(code);
        host.Find($"{Dialog} form[data-stepup-form]").Submit();
    }
}
