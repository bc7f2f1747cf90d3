using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Features.Users.Directory;
using CodeRaft.Admin.Tests.Features.Users.Management;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CodeRaft.Admin.Tests.Features.Users;

/// <summary>
/// The Users page's mutating side (invite and the per-user actions) over a real store, the real directory and
/// management services and a real step-up: one bUnit context is one circuit of a seeded user whose TOTP key is
/// StepUpUser's ("12345678901234567890"). Local mode; seats from <see cref="TestSeats"/>.
/// </summary>
public sealed class UsersPageActionsTests : AdminBunitContext, IAsyncLifetime
{
    private const string Dialog = ".mud-dialog";

    private readonly TempDirectory _data = new("coderaft-users-actions");

    private UsersWorld World { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync() => World = await UsersWorld.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await World.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Disable_BeforeValidCode_ChallengeOnly_AfterCode_DisablesAndTheListShowsIt()
    {
        await SignInAsAsync(AdminRole.Owner);
        var target = await World.SeedAsync(AdminRole.Administrator);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);

        PickAction(host, target, "disable");

        host.WaitForElement($"{Dialog} #user-action-dialog [data-stepup-challenge=\"user.disable\"]");
        Assert.Empty(host.FindAll("#user-action-confirm"));
        Assert.Empty(host.FindAll("[data-action-form]"));

        StepUp(host, "000000");
        host.WaitForAssertion(() => Assert.Contains("not valid", host.Find($"{Dialog} [data-stepup-message]").TextContent, StringComparison.Ordinal));
        Assert.Empty(host.FindAll("#user-action-confirm"));
        Assert.Equal(AdminUserStatus.Active, (await World.UserAsync(target))!.Status);

        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#user-action-confirm").Click();

        host.WaitForAssertion(() => Assert.Equal("Succeeded", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Contains("disabled", host.Find("#user-action-result").TextContent, StringComparison.Ordinal);
        Assert.Empty(host.FindAll("#user-action-confirm")); // done: nothing to click twice
        Assert.Equal(AdminUserStatus.Disabled, (await World.UserAsync(target))!.Status);
        page.WaitForAssertion(() => Assert.Equal("Disabled", Row(page, target).QuerySelector("[data-col=status]")!.TextContent.Trim()));
    }

    [Fact]
    public async Task Invite_AfterStepUp_CreatesTheUserAndShowsTheLinkOnce()
    {
        await SignInAsAsync(AdminRole.Administrator);
        var (host, page) = RenderPage();
        WaitForRows(page, 1);

        host.Find("#users-invite").Click();
        host.WaitForElement($"{Dialog} #invite-dialog [data-stepup-challenge=\"user.invite\"]");
        Assert.Empty(host.FindAll("#invite-form"));
        Assert.Empty(host.FindAll("#invite-email"));

        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#invite-form");
        host.Find("#invite-email").Change("  new.person@example.test ");
        host.Find("#invite-name").Change("<b>New</b> Person");
        await host.InvokeAsync(() => host.Find("#invite-submit").Click());

        var link = host.WaitForElement("#invite-link").TextContent;
        Assert.StartsWith("http://localhost/account/activate?token=", link, StringComparison.Ordinal);
        Assert.Contains("You will not see this link again", host.Find("#invite-link-once").TextContent, StringComparison.Ordinal);
        Assert.Contains("<b>New</b> Person is invited as Viewer", host.Find("#invite-result").TextContent, StringComparison.Ordinal);
        Assert.Empty(host.FindAll("#invite-dialog b")); // the name is text, not markup
        await using (var db = await World.Store.Contexts.CreateDbContextAsync())
        {
            var user = await db.Users.SingleAsync(u => u.Email == "new.person@example.test");
            Assert.Equal(("<b>New</b> Person", AdminRole.Viewer, AdminUserStatus.Invited), (user.DisplayName, user.Role, user.Status));
            var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..];
            Assert.Equal(InvitationTokens.Hash(token), (await db.UserInvitations.SingleAsync(i => i.UserId == user.Id)).TokenHash);
        }

        page.WaitForAssertion(() => Assert.Contains("<b>New</b> Person", Names(page)));

        // Closed, the link is gone for good: a new dialog is a new privileged component and asks again.
        host.Find("#invite-close").Click();
        host.WaitForAssertion(() => Assert.Empty(host.FindAll("#invite-dialog")));
        Assert.DoesNotContain(link, host.Markup, StringComparison.Ordinal);
        host.Find("#users-invite").Click();
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"user.invite\"]");
        Assert.Empty(host.FindAll("#invite-link"));
        Assert.DoesNotContain(link, host.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_InviteAnother_ForgetsTheLinkAndKeepsTheConfirmation()
    {
        await SignInAsAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        WaitForRows(page, 1);
        OpenInviteAndStepUp(host);

        Invite(host, "first@example.test", "First");
        var first = host.WaitForElement("#invite-link").TextContent;
        host.Find("#invite-another").Click();

        Assert.Empty(host.FindAll("#invite-link"));
        Assert.DoesNotContain(first, host.Markup, StringComparison.Ordinal);
        Invite(host, "second@example.test", "Second"); // no second code: the dialog is still the unlocked component
        Assert.NotEqual(first, host.WaitForElement("#invite-link").TextContent);
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("#users-grid tbody tr:has([data-open])").Count));
    }

    [Fact]
    public async Task Invite_OidcMode_NoLinkTheInviteeSignsInWithTheProvider()
    {
        await World.DisposeAsync();
        World = await UsersWorld.StartAsync(_data.Combine("oidc"), TestSecrets.NewMasterSecret(), mode: "Oidc");
        await SignInAsAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        WaitForRows(page, 1);
        OpenInviteAndStepUp(host);

        Invite(host, "jane@contoso.example", "Jane");

        host.WaitForAssertion(() => Assert.Contains("they can now sign in with your organization's account", host.Find("#invite-result").TextContent, StringComparison.Ordinal));
        Assert.Empty(host.FindAll("#invite-link"));
        Assert.Empty(host.FindAll("#invite-link-once"));
    }

    public static TheoryData<string, string, string> BadInvitations { get; } = new()
    {
        { "not an address", "Someone", "Enter a valid e-mail address" },
        { "", "Someone", "Enter the e-mail address" },
        { "ok@example.test", "Evil\u202Eeman", "must not contain control characters or text-direction overrides" },
        { "ok@example.test", new string('n', 257), "at most 256 characters" },
        { "<script>alert(1)</script>@example.test", "x", "Enter a valid e-mail address" },
    };

    [Theory]
    [MemberData(nameof(BadInvitations))]
    public async Task Invite_BadInput_FieldMessageAndNothingCreated(string email, string name, string message)
    {
        await SignInAsAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        WaitForRows(page, 1);
        OpenInviteAndStepUp(host);

        Invite(host, email, name);

        host.WaitForAssertion(() => Assert.Contains(host.FindAll("#invite-form .mud-input-helper-text.mud-input-error"),
            e => e.TextContent.Contains(message, StringComparison.Ordinal)));
        Assert.Empty(host.FindAll("#invite-link"));
        Assert.Empty(host.FindAll("script"));
        await using var db = await World.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task Invite_ExistingAddress_DuplicateMessageFromTheStore()
    {
        await SignInAsAsync(AdminRole.Owner);
        await World.SeedAsync(AdminRole.Viewer, email: "taken@example.test");
        var (host, page) = RenderPage();
        WaitForRows(page, 2);
        OpenInviteAndStepUp(host);

        Invite(host, "TAKEN@example.test", "Someone else");

        host.WaitForAssertion(() => Assert.Contains(host.FindAll("#invite-form .mud-input-error"),
            e => e.TextContent.Contains(InviteUserInputValidator.DuplicateMessage, StringComparison.Ordinal)));
        Assert.Empty(host.FindAll("#invite-link"));
    }

    [Theory]
    [InlineData(AdminRole.Viewer)]
    [InlineData(AdminRole.Auditor)]
    public async Task ReadOnlyRoles_SeeNoMutatingActions(AdminRole role)
    {
        await SignInAsAsync(role);
        var other = await World.SeedAsync(AdminRole.Viewer);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);

        Assert.Empty(host.FindAll("#users-invite"));
        Assert.Empty(host.FindAll("[data-user-actions]"));
        Assert.DoesNotContain(host.FindAll("#users-grid th"), th => th.TextContent.Contains("Actions", StringComparison.Ordinal));
        page.Find($"[data-open=\"{other}\"]").Click();
        page.WaitForElement("#user-detail");
        Assert.Empty(host.FindAll("#users-drawer-actions"));
        Assert.Empty(host.FindAll("[data-stepup-challenge]"));
        Assert.Empty(host.FindAll("button[data-action], [data-action]"));
    }

    [Fact]
    public async Task Administrator_OwnerAndOwnRow_NoActionsOffered_OthersOffered()
    {
        var me = await SignInAsAsync(AdminRole.Administrator);
        var owner = await World.SeedAsync(AdminRole.Owner);
        var viewer = await World.SeedAsync(AdminRole.Viewer, products: [Product.Ravenscan]);
        var (host, page) = RenderPage();
        WaitForRows(page, 3);

        Assert.Equal(["none"], MenuOf(host, owner));
        Assert.Equal(["none"], MenuOf(host, me));
        Assert.Equal(["change_role", "grant_product", "revoke_product", "reset_mfa", "disable", "remove"], MenuOf(host, viewer));
    }

    [Fact]
    public async Task GrantProduct_NoLicenseInstalled_ShowsTheServiceMessageAndTheNote()
    {
        foreach (var product in Products.All)
        {
            World.Seats.Seats[product] = null;
        }

        await SignInAsAsync(AdminRole.Owner);
        var target = await World.SeedAsync(AdminRole.Viewer);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);
        page.Find($"[data-open=\"{target}\"]").Click();
        page.WaitForElement("#user-detail");
        Assert.Contains("No valid license installed", page.Find("#user-detail [data-section=products] [data-license-note]").TextContent, StringComparison.Ordinal);

        PickAction(host, target, "grant_product");
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"user.grant_product\"]");
        Assert.Contains("No valid license installed", host.Find($"{Dialog} [data-license-note]").TextContent, StringComparison.Ordinal);
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#user-action-confirm").Click();

        host.WaitForAssertion(() => Assert.Equal("Denied", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Equal("No license is installed for EntraGuard, so no seats can be granted.", host.Find("#user-action-result").TextContent.Trim());
        Assert.NotEmpty(host.FindAll("#user-action-confirm")); // refused, not done: another product can be tried
        Assert.Empty(await World.ProductsAsync(target));
    }

    [Fact]
    public async Task Invite_WithProductAndNoLicense_ShowsTheServiceMessageAndCreatesNobody()
    {
        World.Seats.Seats[Product.RedFoxBastion] = null;
        await SignInAsAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        WaitForRows(page, 1);
        OpenInviteAndStepUp(host);

        host.Find("#invite-email").Change("seat@example.test");
        host.Find("[data-product=redfox-bastion] input").Change(true);
        host.Find("#invite-submit").Click();

        host.WaitForAssertion(() => Assert.Equal("No license is installed for RedFox Bastion, so no seats can be granted.", host.Find("#invite-message").TextContent.Trim()));
        Assert.Empty(host.FindAll("#invite-link"));
        await using var db = await World.Store.Contexts.CreateDbContextAsync();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "seat@example.test"));
    }

    [Fact]
    public async Task Action_RefusedByTheService_ShowsItsMessage()
    {
        // The page offered "disable" to an Owner; meanwhile that Owner became an Auditor (straight in the store, so
        // the page does not know). The service reads the role at the moment of the change and refuses, in its words.
        var me = await SignInAsAsync(AdminRole.Owner);
        var other = await World.SeedAsync(AdminRole.Owner);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);

        PickAction(host, other, "disable");
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#user-action-confirm");
        await using (var db = await World.Store.Contexts.CreateDbContextAsync())
        {
            await db.Users.Where(u => u.Id == me).ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, AdminRole.Auditor));
        }

        host.Find("#user-action-confirm").Click();

        host.WaitForAssertion(() => Assert.Equal("Denied", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Equal("Only Owners and Administrators can manage users.", host.Find("#user-action-result").TextContent.Trim());
        Assert.Equal(AdminUserStatus.Active, (await World.UserAsync(other))!.Status);
    }

    [Fact]
    public async Task Action_ConfirmationExpired_SaysSoAndChallengesAgain()
    {
        await SignInAsAsync(AdminRole.Owner);
        var target = await World.SeedAsync(AdminRole.Viewer);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);
        PickAction(host, target, "remove");
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#user-action-confirm");

        World.Time.Advance(TimeSpan.FromMinutes(16)); // past StepUpOptions.MaxTicketAge while the dialog stayed open
        host.Find("#user-action-confirm").Click();

        host.WaitForAssertion(() => Assert.Equal("StepUpRequired", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Contains("confirmation has expired", host.Find("#user-action-result").TextContent, StringComparison.Ordinal);
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"user.remove\"]");
        Assert.Empty(host.FindAll("#user-action-confirm"));
        Assert.NotNull(await World.UserAsync(target));

        // The circuit lives on: a new code unlocks the dialog again and the removal goes through.
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#user-action-confirm").Click();
        host.WaitForAssertion(() => Assert.Equal("Succeeded", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Null(await World.UserAsync(target));
    }

    [Fact]
    public async Task ChangeRole_FromTheDrawer_NoDefaultRoleThenTheChosenOne()
    {
        await SignInAsAsync(AdminRole.Owner);
        var target = await World.SeedAsync(AdminRole.Viewer);
        var (host, page) = RenderPage();
        WaitForRows(page, 2);
        page.Find($"[data-open=\"{target}\"]").Click();
        page.WaitForElement("#user-detail");

        OpenMenu(host, "#users-drawer-actions");
        host.WaitForElement(".mud-popover-open [data-action=change_role]").Click();
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        Assert.True(host.WaitForElement("#user-action-confirm").HasAttribute("disabled")); // a role is a deliberate choice
        await host.InvokeAsync(() => host.Find("#user-action-role").Closest(".mud-input-control")!.MouseDown());
        host.WaitForAssertion(() => Assert.Contains(host.FindAll(".mud-popover-open .mud-list-item"), e => e.TextContent.Trim() == "Auditor"));
        await host.InvokeAsync(() => host.FindAll(".mud-popover-open .mud-list-item").First(e => e.TextContent.Trim() == "Auditor").Click());
        host.WaitForAssertion(() => Assert.False(host.Find("#user-action-confirm").HasAttribute("disabled")));
        host.Find("#user-action-confirm").Click();

        host.WaitForAssertion(() => Assert.Equal("Succeeded", host.Find("#user-action-result").GetAttribute("data-outcome")));
        Assert.Equal(AdminRole.Auditor, (await World.UserAsync(target))!.Role);
        page.WaitForAssertion(() => Assert.Equal("Auditor", page.Find("#user-detail [data-field=role]").TextContent.Trim()));
    }

    /// <summary>Seeds a user of <paramref name="role"/> (TOTP key of StepUpUser) and makes them this circuit's user.</summary>
    private async Task<Guid> SignInAsAsync(AdminRole role)
    {
        var id = await World.SeedAsync(role);
        AddFallbackServices(services =>
        {
            services.AddSingleton(new UserDirectoryService(World.Store.Contexts, World.Time));
            StepUpUser.AddCircuitServices(services, World.Store, id, World.Time)
                .AddSingleton(World.Core)
                .AddSingleton<UserManagementService>()
                .AddSingleton(World.Store.Get<InviteUserInputValidator>())
                .AddSingleton<ILicenseSeats>(World.Seats);
        });
        Authorization.SetAuthorized($"{role}@example.test");
        Authorization.SetRoles(role.ToString());
        return id;
    }

    /// <summary>The page next to the providers its menus, selects and dialogs render into (the layout has them).</summary>
    private (IRenderedComponent<IComponent> Host, IRenderedComponent<UsersPage> Page) RenderPage()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<UsersPage>(2);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<UsersPage>());
    }

    private static void WaitForRows(IRenderedComponent<UsersPage> page, int count) =>
        page.WaitForAssertion(() => Assert.Equal(count, page.FindAll("#users-grid tbody tr:has([data-open])").Count));

    private static IElement Row(IRenderedComponent<UsersPage> page, Guid id) => page.Find($"[data-open=\"{id}\"]").Closest("tr")!;

    private static List<string> Names(IRenderedComponent<UsersPage> page) => [.. page.FindAll("#users-grid [data-col=name]").Select(e => e.TextContent)];

    private static void OpenMenu(IRenderedComponent<IComponent> host, string scope) =>
        host.InvokeAsync(() => host.Find($"{scope} button").Click()).GetAwaiter().GetResult();

    /// <summary>Opens the row's action menu and picks <paramref name="action"/> (its <c>data-action</c>).</summary>
    private static void PickAction(IRenderedComponent<IComponent> host, Guid userId, string action)
    {
        OpenMenu(host, $"[data-user-actions=\"{userId}\"]");
        host.WaitForElement($".mud-popover-open [data-action={action}]");
        host.InvokeAsync(() => host.Find($".mud-popover-open [data-action={action}]").Click()).GetAwaiter().GetResult();
    }

    /// <summary>The actions offered on a row (<c>none</c> for "no actions"), then closes the menu.</summary>
    private static List<string> MenuOf(IRenderedComponent<IComponent> host, Guid userId)
    {
        OpenMenu(host, $"[data-user-actions=\"{userId}\"]");
        host.WaitForAssertion(() => Assert.NotEmpty(host.FindAll(".mud-popover-open [data-action], .mud-popover-open [data-actions-none]")));
        List<string> offered = host.FindAll(".mud-popover-open [data-actions-none]").Count > 0
            ? ["none"]
            : [.. host.FindAll(".mud-popover-open [data-action]").Select(e => e.GetAttribute("data-action")!)];
        OpenMenu(host, $"[data-user-actions=\"{userId}\"]");
        host.WaitForAssertion(() => Assert.Empty(host.FindAll(".mud-popover-open [data-action], .mud-popover-open [data-actions-none]")));
        return offered;
    }

    private static void StepUp(IRenderedComponent<IComponent> host, string code)
    {
        host.Find($"{Dialog} input[data-stepup-code]").Change(code);
        host.Find($"{Dialog} form[data-stepup-form]").Submit();
    }

    private void OpenInviteAndStepUp(IRenderedComponent<IComponent> host)
    {
        host.Find("#users-invite").Click();
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"user.invite\"]");
        StepUp(host, StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.WaitForElement("#invite-form");
    }

    private static void Invite(IRenderedComponent<IComponent> host, string email, string name)
    {
        host.Find("#invite-email").Change(email);
        host.Find("#invite-name").Change(name);
        host.InvokeAsync(() => host.Find("#invite-submit").Click()).GetAwaiter().GetResult();
    }
}
