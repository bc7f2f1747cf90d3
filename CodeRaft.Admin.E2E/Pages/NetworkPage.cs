using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>Settings → Security → Network: the two allowlists (scope "ui" or "api").</summary>
public sealed class NetworkPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator YourAddress => Page.Locator("[data-your-address]");

    public ILocator YourProxy => Page.Locator("[data-your-proxy]");

    public ILocator List(string scope) => Page.Locator($"#allowlist-{scope}");

    public ILocator EmptyBanner(string scope) => List(scope).Locator("[data-empty-banner]");

    public ILocator SavedEntries(string scope) => List(scope).Locator("[data-saved-entry]");

    public ILocator StepUpChallenge(string scope) => List(scope).Locator("[data-stepup-challenge]");

    public ILocator Preview(string scope) => List(scope).Locator("[data-preview]");

    public ILocator ListError(string scope) => List(scope).Locator("[data-list-error]");

    public ILocator FieldErrors(string scope) => List(scope).Locator(".mud-input-helper-text.mud-input-error");

    public ILocator SaveButton(string scope) => List(scope).Locator("[data-save]");

    public ILocator Message(string scope) => List(scope).Locator("[data-save-message]");

    public async Task GotoAsync()
    {
        await Page.GotoAsync("settings/network");
        await Expect(Page.Locator("h1")).ToHaveTextAsync("Network");
        await new ShellPage(Page).WaitForInteractiveAsync();
    }

    /// <summary>"Edit", then the step-up code; the editor is shown afterwards.</summary>
    public async Task EditAsync(string scope, string code)
    {
        await List(scope).Locator("[data-edit]").ClickAsync();
        await Expect(StepUpChallenge(scope)).ToBeVisibleAsync();
        await List(scope).Locator("input[data-stepup-code]").FillAsync(code);
        await List(scope).Locator("[data-stepup-form] button[type=submit]").ClickAsync();
        await Expect(List(scope).Locator("[data-editor]")).ToBeVisibleAsync();
    }

    public async Task AddEntryAsync(string scope, string cidr, string description)
    {
        var rows = List(scope).Locator("[data-row]");
        var index = await rows.CountAsync();
        await List(scope).Locator("[data-add-row]").ClickAsync();
        await List(scope).Locator($"input[data-cidr=\"{index}\"]").FillAsync(cidr);
        await List(scope).Locator($"input[data-description=\"{index}\"]").FillAsync(description);
    }

    public Task ConfirmAsync(string scope, string text) => List(scope).Locator("input[data-confirmation]").FillAsync(text);

    public Task SaveAsync(string scope) => SaveButton(scope).ClickAsync();
}
