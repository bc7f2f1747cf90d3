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
