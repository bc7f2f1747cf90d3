using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// The API keys page and its dialogs over a real store, the real core and service and a real step-up: one bUnit
/// context is one circuit of a seeded user whose TOTP key is StepUpUser's.
/// </summary>
public sealed partial class ApiKeysPageTests : AdminBunitContext, IAsyncLifetime
{
    private const string Dialog = ".mud-dialog";

    private readonly TempDirectory _data = new("coderaft-apikeys-page");

    private ApiKeysWorld World { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync() => World = await ApiKeysWorld.StartAsync(_data.Path);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await World.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Render_Owner_ListsEveryColumnAndStateBadge()
    {
        await SignInAsAsync(AdminRole.Owner);
        var expired = await CreateAsync("expired", days: 1);
        World.Time.Advance(TimeSpan.FromDays(2));
        var active = await CreateAsync("active", days: 15, rate: 100_000, ApiKeyScopes.AuditWrite, ApiKeyScopes.UsersRead);
        var soon = await CreateAsync("soon", days: 14);
        var revoked = await CreateAsync("revoked");
        await World.Core.RevokeAsync(UserOperator.HostCli, revoked.Id);

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("4 keys", page.Find("#apikeys-count").TextContent.Trim()));
        Assert.Equal("expired", State(page, expired.Id));
        Assert.Equal("active", State(page, active.Id)); // 15 days: outside the 14-day window
        Assert.Equal("expiring-soon", State(page, soon.Id)); // 14 days: inside
        Assert.Equal("revoked", State(page, revoked.Id));
        Assert.Equal("Expiring soon", Cell(page, soon.Id, "state").TextContent.Trim());
        var row = Row(page, active.Id);
        Assert.Equal(active.Identifier, row.QuerySelector("[data-col=identifier]")!.TextContent.Trim());
        Assert.Equal("active", row.QuerySelector("[data-col=name]")!.TextContent.Trim());
        Assert.Equal(["audit:write", "users:read"], row.QuerySelectorAll("[data-col=scopes] [data-scope]").Select(e => e.GetAttribute("data-scope")));
        Assert.Equal("cli", row.QuerySelector("[data-col=created-by]")!.TextContent.Trim());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", row.QuerySelector("[data-col=created]")!.TextContent.Trim());
        Assert.Equal(World.Time.GetUtcNow().UtcDateTime.AddDays(15).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            row.QuerySelector("[data-col=expires]")!.TextContent.Trim());
        Assert.Equal("Never", row.QuerySelector("[data-col=last-used]")!.TextContent.Trim());
        Assert.Equal("100,000/min", row.QuerySelector("[data-col=rate]")!.TextContent.Trim());
        Assert.NotNull(page.Find($"[data-revoke=\"{active.Id}\"]"));
        Assert.Empty(page.FindAll($"[data-revoke=\"{revoked.Id}\"]")); // nothing to revoke twice
        Assert.NotNull(page.Find("#apikeys-create"));
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task Render_RoleWithoutPermission_NoKeysNoButtons(AdminRole role)
    {
        await SignInAsAsync(role);
        await CreateAsync("not-for-your-eyes");

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("Your role does not include managing API keys.", page.Find("#apikeys-error").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-open]"));
        Assert.Empty(page.FindAll("#apikeys-create"));
        Assert.DoesNotContain("not-for-your-eyes", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_BeforeCode_ChallengeOnly_AfterCode_KeyShownOnceThenGoneForGood()
    {
        var me = await SignInAsAsync(AdminRole.Administrator);
        var (host, page) = RenderPage();
        page.WaitForAssertion(() => Assert.Equal("0 keys", page.Find("#apikeys-count").TextContent.Trim()));

        host.Find("#apikeys-create").Click();
        host.WaitForElement($"{Dialog} #apikey-create-dialog [data-stepup-challenge=\"apikey.create\"]");
        Assert.Empty(host.FindAll("#apikey-form"));
        Assert.Empty(host.FindAll("#apikey-create-submit"));

        StepUp(host, "000000");
        host.WaitForAssertion(() => Assert.Contains("not valid", host.Find($"{Dialog} [data-stepup-message]").TextContent, StringComparison.Ordinal));
        Assert.Empty(host.FindAll("#apikey-form"));

        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#apikey-form");
        Assert.Equal("90", host.Find("input#apikey-expiry").GetAttribute("value"));
        Assert.Equal("600", host.Find("input#apikey-rate").GetAttribute("value"));
        host.Find("input#apikey-name").Change("SIEM <b>collector</b>");
        CheckScope(host, ApiKeyScopes.AuditWrite);
        await host.InvokeAsync(() => host.Find("#apikey-create-submit").Click());

        var key = host.WaitForElement("#apikey-secret").TextContent.Trim();
        Assert.Matches(KeyPattern(), key);
        Assert.Contains("You will not see this again", host.Find("#apikey-once").TextContent, StringComparison.Ordinal);
        var stored = Assert.Single(await World.KeysAsync());
        Assert.Equal((ApiKeyFormat.Hash(key), "audit:write", "SIEM <b>collector</b>", me.ToString()), (stored.KeyHash, stored.Scopes, stored.Name, stored.CreatedBy));
        Assert.Equal(World.Time.GetUtcNow().UtcDateTime.AddDays(90), stored.ExpiresAt);
        page.WaitForAssertion(() => Assert.Equal("active", State(page, stored.Id)));
        Assert.Equal("Administrator 1", Cell(page, stored.Id, "created-by").TextContent.Trim());
        Assert.Empty(host.FindAll("#apikeys-results b")); // the name is text, not markup

        host.Find("#apikey-create-close").Click();
        host.WaitForAssertion(() => Assert.Empty(host.FindAll("#apikey-create-dialog")));
        Assert.DoesNotContain(key[4..], host.Markup, StringComparison.Ordinal);

        // A new dialog is a new privileged component: it asks again and knows no key.
        host.Find("#apikeys-create").Click();
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"apikey.create\"]");
        Assert.Empty(host.FindAll("#apikey-secret"));
        Assert.DoesNotContain(key[4..], host.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Copy_PutsTheKeyOnTheClipboardThroughTheModule()
    {
        await SignInAsAsync(AdminRole.Owner);
        var module = JSInterop.SetupModule("./js/recovery-codes.js");
        var (host, page) = RenderPage();
        page.WaitForElement("#apikeys-create");
        OpenCreateAndStepUp(host);
        host.Find("input#apikey-name").Change("copy me");
        CheckScope(host, ApiKeyScopes.AuditRead);
        await host.InvokeAsync(() => host.Find("#apikey-create-submit").Click());
        var key = host.WaitForElement("#apikey-secret").TextContent.Trim();

        await host.InvokeAsync(() => host.Find("#apikey-copy").Click());

        host.WaitForAssertion(() => Assert.Equal("Copied to the clipboard.", host.Find("#apikey-copy-message").TextContent.Trim()));
        Assert.Equal(key, module.Invocations["copy"].Single().Arguments.Single());
    }

    [Fact]
    public async Task Create_NoScopeOrBadValues_MessagesAndNothingCreated()
    {
        await SignInAsAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        page.WaitForElement("#apikeys-create");
        OpenCreateAndStepUp(host);

        host.Find("input#apikey-name").Change("no scope");
        await host.InvokeAsync(() => host.Find("#apikey-create-submit").Click());

        host.WaitForAssertion(() => Assert.Equal("Choose at least one scope.", host.Find("#apikey-create-message").TextContent.Trim()));
        host.Find("input#apikey-name").Change("   ");
        CheckScope(host, ApiKeyScopes.AuditRead);
        await host.InvokeAsync(() => host.Find("#apikey-create-submit").Click());
        host.WaitForAssertion(() => Assert.Contains("Enter a name for the key", host.Find("#apikey-create-dialog").TextContent, StringComparison.Ordinal));
        Assert.Empty(host.FindAll("#apikey-secret"));
        Assert.Empty(await World.KeysAsync());
    }

    [Fact]
    public async Task Create_RoleTakenAwayAfterThePageOpened_TheServiceRefusesAndNoKeyIsShown()
    {
        var me = await SignInAsAsync(AdminRole.Administrator);
        var (host, page) = RenderPage();
        page.WaitForElement("#apikeys-create");
        OpenCreateAndStepUp(host);
        await World.Users.Core.ChangeRoleAsync(UserOperator.HostCli, me, AdminRole.Auditor);

        host.Find("input#apikey-name").Change("too late");
        CheckScope(host, ApiKeyScopes.AuditRead);
        await host.InvokeAsync(() => host.Find("#apikey-create-submit").Click());

        host.WaitForAssertion(() => Assert.Equal("Only Owners and Administrators can manage API keys.", host.Find("#apikey-create-message").TextContent.Trim()));
        Assert.Empty(host.FindAll("#apikey-secret"));
        Assert.Empty(await World.KeysAsync());
        Assert.Equal("denied", Assert.Single(await World.ApiKeyAuditAsync()).Outcome);
    }

    [Fact]
    public async Task Render_Prerender_ListsKeysWithoutInteractiveParts()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        await SignInAsAsync(AdminRole.Owner);
        var key = await CreateAsync("prerendered");

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("active", State(page, key.Id)));
        Assert.DoesNotContain("apikey-secret", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_AfterStepUp_RevokesAndTheListShowsIt()
    {
        await SignInAsAsync(AdminRole.Owner);
        var key = await CreateAsync("to revoke");
        var (host, page) = RenderPage();
        page.WaitForAssertion(() => Assert.Equal("active", State(page, key.Id)));

        await host.InvokeAsync(() => page.Find($"[data-revoke=\"{key.Id}\"]").Click());
        host.WaitForElement($"{Dialog} #apikey-revoke-dialog [data-stepup-challenge=\"apikey.revoke\"]");
        Assert.Empty(host.FindAll("#apikey-revoke-confirm"));
        Assert.Null(Assert.Single(await World.KeysAsync()).RevokedAt);

        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        await host.InvokeAsync(() => host.WaitForElement("#apikey-revoke-confirm").Click());

        host.WaitForAssertion(() => Assert.Equal("Succeeded", host.Find("#apikey-revoke-result").GetAttribute("data-outcome")));
        Assert.Empty(host.FindAll("#apikey-revoke-confirm"));
        Assert.NotNull(Assert.Single(await World.KeysAsync()).RevokedAt);
        page.WaitForAssertion(() => Assert.Equal("revoked", State(page, key.Id)));
        Assert.Empty(page.FindAll($"[data-revoke=\"{key.Id}\"]"));
    }

    [Fact]
    public async Task Drawer_OpenKey_ShowsDetailsAndItsAuditEntriesNewestFirst()
    {
        await SignInAsAsync(AdminRole.Owner);
        var key = await CreateAsync("drawer");
        var other = await CreateAsync("other");
        await World.Core.RevokeAsync(UserOperator.HostCli, key.Id);
        var (_, page) = RenderPage();
        page.WaitForElement($"[data-open=\"{key.Id}\"]");

        await page.InvokeAsync(() => page.Find($"[data-open=\"{key.Id}\"]").Click());

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("#apikey-detail [data-section=activity] [data-seq]").Count));
        Assert.Equal(key.Identifier, page.Find("#apikey-detail [data-field=identifier]").TextContent.Trim());
        Assert.Equal("revoked", page.Find("#apikey-detail").GetAttribute("data-state"));
        Assert.Equal(["apikey.revoked", "apikey.created"], page.FindAll("#apikey-detail [data-col=action]").Select(e => e.TextContent.Trim()));
        Assert.Equal($"audit?target={key.Identifier}", page.Find("#apikey-detail [data-link=audit]").GetAttribute("href"));
        Assert.DoesNotContain(other.Identifier, page.Find("#apikey-detail").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("#apikey-detail-revoke")); // already revoked
    }

    [Fact]
    public async Task QueryParameter_Key_OpensThatKeysDrawer()
    {
        await SignInAsAsync(AdminRole.Owner);
        var key = await CreateAsync("linked");
        Services.GetRequiredService<NavigationManager>().NavigateTo($"api-keys?key={key.Id}");

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal(key.Id.ToString(), page.Find("#apikey-detail").GetAttribute("data-key-id")));
        Assert.NotNull(page.Find("#apikey-detail-revoke"));
    }

    /// <summary>Seeds a user of <paramref name="role"/> (TOTP key of StepUpUser) and makes them this circuit's user.</summary>
    private async Task<Guid> SignInAsAsync(AdminRole role)
    {
        var id = await World.SeedAsync(role);
        AddFallbackServices(services =>
        {
            StepUpUser.AddCircuitServices(services, World.Users.Store, id, World.Time)
                .AddSingleton(World.Core)
                .AddSingleton<ApiKeyService>()
                .AddSingleton(World.Users.Store.Get<ApiKeyInputValidator>());
        });
        Authorization.SetAuthorized($"{role}@example.test");
        Authorization.SetRoles(role.ToString());
        return id;
    }

    private async Task<ApiKeyCreated> CreateAsync(string name, int days = 90, int rate = 600, params string[] scopes)
    {
        var result = await World.Core.CreateAsync(UserOperator.HostCli, new ApiKeyInput
        {
            Name = name,
            Scopes = scopes.Length == 0 ? [ApiKeyScopes.AuditRead] : scopes,
            ExpiresInDays = days,
            RateLimitPerMinute = rate,
        });
        Assert.True(result.Succeeded, result.Message);
        return result.Created!;
    }

    /// <summary>The page next to the providers its dialogs render into (the layout has them).</summary>
    private (IRenderedComponent<IComponent> Host, IRenderedComponent<ApiKeysPage> Page) RenderPage()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<ApiKeysPage>(2);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<ApiKeysPage>());
    }

    private static IElement Row(IRenderedComponent<ApiKeysPage> page, Guid id) => page.Find($"[data-open=\"{id}\"]").Closest("tr")!;

    private static IElement Cell(IRenderedComponent<ApiKeysPage> page, Guid id, string column) => Row(page, id).QuerySelector($"[data-col={column}]")!;

    private static string? State(IRenderedComponent<ApiKeysPage> page, Guid id) => Cell(page, id, "state").GetAttribute("data-state");

    private static void CheckScope(IRenderedComponent<IComponent> host, string scope) =>
        host.Find($"{Dialog} [data-scope=\"{scope}\"] input[type=checkbox]").Change(true);

    private static void StepUp(IRenderedComponent<IComponent> host, string code)
    {
        host.Find($"{Dialog} input[data-stepup-code]").Change(code);
        host.Find($"{Dialog} form[data-stepup-form]").Submit();
    }

    private void OpenCreateAndStepUp(IRenderedComponent<IComponent> host)
    {
        host.Find("#apikeys-create").Click();
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"apikey.create\"]");
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#apikey-form");
    }

    [GeneratedRegex("^crk_[0-9A-Za-z]{49}$")]
    private static partial Regex KeyPattern();
}
