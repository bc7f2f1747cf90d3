using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// The Users page (/users) as an administrator drives it: one method per action. Selectors are the ids and data
/// attributes UsersPage and UserDetailPanel render for tests.
/// </summary>
public sealed partial class UsersPage(IPage page)
{
    public const string Path = "/users";

    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    /// <summary>"N users"; <c>data-load</c> numbers the answer the grid shows (absent while an older one is on screen).</summary>
    public ILocator Count => Page.Locator("#users-count");

    public ILocator Rows => Page.Locator("#users-grid tbody tr:has([data-open])");

    /// <summary>The display names of the rows, in order.</summary>
    public ILocator Names => Page.Locator("#users-grid [data-col=name]");

    public ILocator Drawer => Page.Locator("#users-drawer");

    public ILocator Detail => Page.Locator("#user-detail");

    public ILocator DetailName => Page.Locator("#user-detail-name");

    /// <summary>A section of the open user's detail: account, mfa, products, api-keys, sign-ins, activity.</summary>
    public ILocator Section(string name) => Detail.Locator($"[data-section=\"{name}\"]");

    /// <summary>"Invite user" in the toolbar (Owners and Administrators only).</summary>
    public ILocator InviteButton => Page.Locator("#users-invite");

    /// <summary>The open dialog (invite, or an action on one user).</summary>
    public ILocator Dialog => Page.Locator(".mud-dialog");

    /// <summary>The step-up challenge of the open dialog: shown instead of its form until a code is accepted.</summary>
    public ILocator StepUpChallenge => Dialog.Locator("[data-stepup-challenge]");

    public ILocator StepUpMessage => Dialog.Locator("[data-stepup-message]");

    public ILocator InviteForm => Page.Locator("#invite-form");

    /// <summary>The invitation's messages under the fields (the validator's sentences).</summary>
    public ILocator InviteFieldErrors => Page.Locator("#invite-form .mud-input-helper-text.mud-input-error");

    /// <summary>A refusal of the service (role, seats, licenses) inside the invite form.</summary>
    public ILocator InviteMessage => Page.Locator("#invite-message");

    /// <summary>"… is invited as …" after an invitation went through.</summary>
    public ILocator InviteResult => Page.Locator("#invite-result");

    /// <summary>The Local-mode activation link, absolute; shown once.</summary>
    public ILocator InviteLink => Page.Locator("#invite-link");

    public ILocator InviteLinkNotice => Page.Locator("#invite-link-once");

    /// <summary>The confirm button of an action dialog (exists only after the step-up).</summary>
    public ILocator ActionConfirm => Page.Locator("#user-action-confirm");

    /// <summary>The service's message after an action; <c>data-outcome</c> is the outcome (Succeeded, Denied, …).</summary>
    public ILocator ActionResult => Page.Locator("#user-action-result");

    /// <summary>The status chip of a user's row.</summary>
    public ILocator StatusOf(string userId) => Page.Locator($"#users-grid tr:has([data-open=\"{userId}\"]) [data-col=status]");

    /// <summary>Opens the page and waits for its first answer.</summary>
    public async Task GotoAsync()
    {
        await Page.GotoAsync(Path);
        await Shell.WaitForInteractiveAsync();
        await Expect(Count).ToHaveAttributeAsync("data-load", Number());
    }

    /// <summary>Types into the search box and waits for the answer (the box waits for typing to pause first).</summary>
    public Task SearchAsync(string text) => LoadingAsync(() => Page.Locator("#users-search").FillAsync(text));

    public Task FilterByRoleAsync(string role) => SelectAsync("users-filter-role", role);

    public Task FilterByStatusAsync(string status) => SelectAsync("users-filter-status", status);

    public Task FilterByProductAsync(string product) => SelectAsync("users-filter-product", product);

    public Task FilterByMfaAsync(string mfa) => SelectAsync("users-filter-mfa", mfa);

    public Task ClearFiltersAsync() => LoadingAsync(() => Page.Locator("#users-clear").ClickAsync());

    /// <summary>Sorts by the column headed <paramref name="title"/> (again: the other direction).</summary>
    public Task SortByAsync(string title) => LoadingAsync(() =>
        Page.Locator("#users-grid th", new() { HasText = title }).Locator(".sortable-column-header").ClickAsync());

    /// <summary>Opens the user of the given row (0 = first shown) in the detail drawer; returns their id.</summary>
    public async Task<string> OpenUserAsync(int row = 0)
    {
        var id = await Rows.Nth(row).Locator("[data-open]").GetAttributeAsync("data-open")
            ?? throw new InvalidOperationException("The row has no user id.");
        await Page.Locator($"[data-open=\"{id}\"]").ClickAsync();
        await Expect(Detail).ToHaveAttributeAsync("data-user-id", id);
        return id;
    }

    public async Task CloseUserAsync()
    {
        await Page.Locator("#users-drawer-close").ClickAsync();
        await Expect(Drawer).ToHaveClassAsync(DrawerClosed());
    }

    /// <summary>Opens the invite dialog; it asks for a step-up first.</summary>
    public async Task OpenInviteAsync()
    {
        await InviteButton.ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    /// <summary>Opens the action menu of a user's row and picks an action (<c>data-action</c>: change_role, disable, …).</summary>
    public async Task ChooseActionAsync(string userId, string action)
    {
        await Page.Locator($"[data-user-actions=\"{userId}\"] button").ClickAsync();
        await Page.Locator($".mud-popover-open [data-action=\"{action}\"]").ClickAsync();
        await Expect(Dialog).ToBeVisibleAsync();
    }

    /// <summary>Types a code into the open dialog's step-up challenge and confirms.</summary>
    public async Task StepUpAsync(string code)
    {
        await Dialog.Locator("input[data-stepup-code]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    /// <summary>Types the invitation's e-mail address and display name; returns what the inputs hold (as the browser will send it).</summary>
    public async Task<(string Email, string DisplayName)> FillInvitationAsync(string email, string displayName)
    {
        var emailInput = Page.Locator("input#invite-email");
        var nameInput = Page.Locator("input#invite-name");
        await emailInput.FillAsync(email);
        await nameInput.FillAsync(displayName);
        return (await emailInput.InputValueAsync(), await nameInput.InputValueAsync());
    }

    /// <summary>Clicks "Invite" and waits for the answer (validation messages, a refusal, or the result).</summary>
    public async Task SubmitInvitationAsync()
    {
        var dialog = Page.Locator("#invite-dialog");
        var before = await dialog.GetAttributeAsync("data-submits") ?? "0";
        await Page.Locator("#invite-submit").ClickAsync();
        await Expect(dialog).ToHaveAttributeAsync("data-submits", new Regex($"^(?!{before}$)\\d+$"));
    }

    /// <summary>After an invitation: a fresh form in the same (still confirmed) dialog; the shown link is gone.</summary>
    public async Task InviteAnotherAsync()
    {
        await Page.Locator("#invite-another").ClickAsync();
        await Expect(InviteForm).ToBeVisibleAsync();
    }

    public Task ConfirmActionAsync() => ActionConfirm.ClickAsync();

    /// <summary>Closes the open dialog (Cancel, Close or Done).</summary>
    public async Task CloseDialogAsync()
    {
        await Page.Locator("#invite-close, #user-action-close").ClickAsync();
        await Expect(Dialog).ToHaveCountAsync(0);
    }

    /// <summary>Opens a MudSelect and picks the item with exactly that text.</summary>
    private Task SelectAsync(string id, string item) => LoadingAsync(async () =>
    {
        await Page.Locator($".mud-input-control:has(#{id})").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = Exactly(item) }).ClickAsync();
    });

    /// <summary>
    /// Runs an action that asks for a new answer and waits until the grid shows it: the rows on screen before it
    /// may already look like the answer.
    /// </summary>
    private async Task LoadingAsync(Func<Task> action)
    {
        var before = int.Parse(await Count.GetAttributeAsync("data-load") ?? "0", CultureInfo.InvariantCulture);
        await action();
        await Expect(Count).ToHaveAttributeAsync("data-load", new Regex($"^(?!{before}$)\\d+$"));
    }

    private static Regex Exactly(string text) => new($"^\\s*{Regex.Escape(text)}\\s*$");

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex Number();

    [GeneratedRegex(@"\bmud-drawer--closed\b")]
    private static partial Regex DrawerClosed();
}
