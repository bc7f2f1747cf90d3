using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// The Licenses page (/settings/licenses) as an Owner drives it: one method per action. Selectors are the ids and data
/// attributes LicensesPage and LicenseActionDialog render for tests.
/// </summary>
public sealed partial class LicensesPage(IPage page)
{
    public const string Path = "/settings/licenses";

    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    /// <summary>The product cards; <c>data-loaded</c> numbers the answers the page has read.</summary>
    public ILocator Products => Page.Locator("#licenses-products");

    /// <summary>A product's card (entraguard, ravenscan, redfox-bastion).</summary>
    public ILocator Card(string product) => Products.Locator($"[data-product=\"{product}\"]");

    /// <summary>A product's state chip: <c>data-state</c> is valid, expiring, grace, expired, unlicensed or invalid.</summary>
    public ILocator StateOf(string product) => Card(product).Locator("[data-field=state]");

    /// <summary>A product's seats ("N of M seats used, K available"), with <c>data-used</c> and <c>data-max</c>.</summary>
    public ILocator SeatsOf(string product) => Card(product).Locator("[data-field=seats]");

    public ILocator KeyInput => Page.Locator("textarea#license-key");

    /// <summary>Why the checked key was refused (role=alert); <c>data-reason</c> is the rejection code.</summary>
    public ILocator Rejection => Page.Locator("#license-rejection");

    /// <summary>The impact preview of the checked key.</summary>
    public ILocator Preview => Page.Locator("#license-preview");

    public ILocator PreviewField(string field) => Preview.Locator($"[data-field=\"{field}\"]");

    public ILocator PreviewOverAllocated => Page.Locator("#license-preview-overallocated");

    public ILocator Dialog => Page.Locator(".mud-dialog");

    /// <summary>The step-up challenge of the open dialog: shown instead of its confirm button until a code is accepted.</summary>
    public ILocator StepUpChallenge => Dialog.Locator("[data-stepup-challenge]");

    public ILocator ActionConfirm => Page.Locator("#license-action-confirm");

    /// <summary>The service's message after installing or removing; <c>data-outcome</c> is succeeded, rejected, denied, …</summary>
    public ILocator ActionResult => Page.Locator("#license-action-result");

    public ILocator Snackbar => Page.Locator(".mud-snackbar");

    /// <summary>History rows, newest first.</summary>
    public ILocator HistoryRows => Page.Locator("#license-history tbody tr");

    public ILocator HistoryRow(string licenseId) => Page.Locator($"#license-history tr[data-license-id=\"{licenseId}\"]");

    /// <summary>Opens the page and waits for the circuit and its first answer.</summary>
    public async Task GotoAsync()
    {
        await Page.GotoAsync(Path.TrimStart('/'));
        await Shell.WaitForInteractiveAsync();
        await Expect(Products).ToHaveAttributeAsync("data-loaded", Number());
    }

    /// <summary>Pastes a key into the text box and clicks "Check license".</summary>
    public async Task CheckAsync(string key)
    {
        await KeyInput.FillAsync(key);
        await Page.Locator("#license-check").ClickAsync();
    }

    /// <summary>Clicks Install under the preview; the dialog asks for a step-up first.</summary>
    public async Task OpenInstallAsync()
    {
        await Page.Locator("#license-install").ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    /// <summary>Answers the open dialog's step-up with a TOTP code.</summary>
    public async Task StepUpAsync(string code)
    {
        await Dialog.Locator("input[data-stepup-code]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    public async Task ConfirmAsync()
    {
        await ActionConfirm.ClickAsync();
        await Expect(ActionResult).ToBeVisibleAsync();
    }

    /// <summary>Closes the open dialog (Cancel or Close).</summary>
    public async Task CloseDialogAsync()
    {
        await Page.Locator("#license-action-close").ClickAsync();
        await Expect(Dialog).ToHaveCountAsync(0);
    }

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex Number();
}
