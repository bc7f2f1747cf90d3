using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// Settings → SIEM (/settings/siem) as an administrator drives it. Selectors are the ids and data attributes that
/// SiemPage, SiemTargetDialog and SiemActionDialog render for tests.
/// </summary>
public sealed partial class SiemPage(IPage page)
{
    public const string Path = "/settings/siem";

    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    /// <summary>"N targets"; <c>data-loaded</c> counts the reads (the page refreshes every few seconds).</summary>
    public ILocator Count => Page.Locator("#siem-count");

    public ILocator AddButton => Page.Locator("#siem-add");

    public ILocator Dialog => Page.Locator(".mud-dialog");

    public ILocator StepUpChallenge => Dialog.Locator("[data-stepup-challenge]");

    public ILocator TargetForm => Page.Locator("#siem-target-form");

    public ILocator TargetResult => Page.Locator("#siem-target-result");

    public ILocator TargetMessage => Page.Locator("#siem-target-message");

    public ILocator ActionConfirm => Page.Locator("#siem-action-confirm");

    public ILocator ActionResult => Page.Locator("#siem-action-result");

    public ILocator TestResult => Page.Locator("#siem-test-result");

    /// <summary>The grid row of the target named <paramref name="name"/>.</summary>
    public ILocator Row(string name) =>
        Page.Locator("#siem-grid tbody tr").Filter(new() { Has = Page.Locator($"[data-col=name]:text-is(\"{name}\")") });

    public ILocator Cell(string name, string column) => Row(name).Locator($"[data-col={column}]");

    public async Task GotoAsync()
    {
        await Page.GotoAsync(Path.TrimStart('/'));
        await Shell.WaitForInteractiveAsync();
        await Expect(Count).ToHaveAttributeAsync("data-loaded", Number());
    }

    /// <summary>Opens the add dialog; it asks for a step-up first.</summary>
    public async Task OpenAddAsync()
    {
        await AddButton.ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    public async Task OpenEditAsync(string name)
    {
        await Row(name).Locator("[data-action=edit]").ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    /// <summary>Opens the confirmation of <paramref name="action"/> (disable, enable, replay, remove) for a row.</summary>
    public async Task OpenActionAsync(string name, string action)
    {
        await Row(name).Locator($"[data-action={action}]").ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    public async Task StepUpAsync(string code)
    {
        await Dialog.Locator("input[data-stepup-code]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    public async Task StepUpWithRecoveryCodeAsync(string code)
    {
        await Dialog.Locator("[data-stepup-toggle]").ClickAsync();
        await Dialog.Locator("input[data-stepup-recovery]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    /// <summary>Fills name and endpoint of the open form (type and format keep their values) and saves.</summary>
    public async Task FillAndSaveAsync(string? name, string? endpoint)
    {
        await Expect(TargetForm).ToBeVisibleAsync();
        if (name is not null)
        {
            await Page.Locator("input#siem-name").FillAsync(name);
        }

        if (endpoint is not null)
        {
            await Page.Locator("input#siem-endpoint").FillAsync(endpoint);
        }

        await Page.Locator("#siem-target-save").ClickAsync();
    }

    public Task ConfirmActionAsync() => ActionConfirm.ClickAsync();

    public Task SendTestAsync(string name) => Row(name).Locator("[data-action=test]").ClickAsync();

    public async Task CloseDialogAsync()
    {
        await Page.Locator("#siem-target-close, #siem-action-close").ClickAsync();
        await Expect(Dialog).ToHaveCountAsync(0);
    }

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex Number();
}
