using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// The API keys page (/api-keys) as an administrator drives it: one method per action. Selectors are the ids and
/// data attributes ApiKeysPage, CreateApiKeyDialog and RevokeApiKeyDialog render for tests.
/// </summary>
public sealed partial class ApiKeysPage(IPage page)
{
    public const string Path = "/api-keys";

    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    /// <summary>"N keys"; <c>data-loaded</c> numbers the answers the page has read.</summary>
    public ILocator Count => Page.Locator("#apikeys-count");

    public ILocator CreateButton => Page.Locator("#apikeys-create");

    /// <summary>The open dialog (create, or revoke one key).</summary>
    public ILocator Dialog => Page.Locator(".mud-dialog");

    /// <summary>The step-up challenge of the open dialog: shown instead of its form until a code is accepted.</summary>
    public ILocator StepUpChallenge => Dialog.Locator("[data-stepup-challenge]");

    public ILocator CreateForm => Page.Locator("#apikey-form");

    /// <summary>The new key, shown once.</summary>
    public ILocator Secret => Page.Locator("#apikey-secret");

    public ILocator OnceNotice => Page.Locator("#apikey-once");

    public ILocator CopyMessage => Page.Locator("#apikey-copy-message");

    /// <summary>The confirm button of the revoke dialog (exists only after the step-up).</summary>
    public ILocator RevokeConfirm => Page.Locator("#apikey-revoke-confirm");

    /// <summary>The service's message after revoking; <c>data-outcome</c> is the outcome (Succeeded, Denied, …).</summary>
    public ILocator RevokeResult => Page.Locator("#apikey-revoke-result");

    /// <summary>The grid row of the key whose identifier (first 12 characters) is <paramref name="identifier"/>.</summary>
    public ILocator Row(string identifier) =>
        Page.Locator("#apikeys-grid tbody tr").Filter(new() { Has = Page.Locator($"[data-col=identifier]:text-is(\"{identifier}\")") });

    /// <summary>The state badge of a key's row: <c>data-state</c> is active, expiring-soon, expired or revoked.</summary>
    public ILocator StateOf(string identifier) => Row(identifier).Locator("[data-col=state]");

    public ILocator Detail => Page.Locator("#apikey-detail");

    /// <summary>The actions of the open key's audit entries, newest first.</summary>
    public ILocator ActivityActions => Detail.Locator("[data-section=activity] [data-col=action]");

    /// <summary>Opens a key in the detail drawer.</summary>
    public async Task OpenDetailAsync(string identifier)
    {
        await Row(identifier).Locator("[data-open]").ClickAsync();
        await Expect(Detail.Locator("[data-field=identifier]")).ToHaveTextAsync(identifier);
    }

    /// <summary>Opens the page and waits for the circuit and its first answer.</summary>
    public async Task GotoAsync()
    {
        await Page.GotoAsync(Path.TrimStart('/'));
        await Shell.WaitForInteractiveAsync();
        await Expect(Count).ToHaveAttributeAsync("data-loaded", Number());
    }

    /// <summary>Opens the create dialog; it asks for a step-up first.</summary>
    public async Task OpenCreateAsync()
    {
        await CreateButton.ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    /// <summary>Answers the open dialog's step-up with a TOTP code.</summary>
    public async Task StepUpAsync(string code)
    {
        await Dialog.Locator("input[data-stepup-code]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    /// <summary>Answers the open dialog's step-up with a recovery code.</summary>
    public async Task StepUpWithRecoveryCodeAsync(string code)
    {
        await Dialog.Locator("[data-stepup-toggle]").ClickAsync();
        await Dialog.Locator("input[data-stepup-recovery]").FillAsync(code);
        await Dialog.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    /// <summary>Fills the create form (expiry and rate limit keep their defaults unless given) and submits it; returns the key shown.</summary>
    public async Task<string> CreateAsync(string name, IEnumerable<string> scopes, int? expiresInDays = null, int? perMinute = null)
    {
        await Expect(CreateForm).ToBeVisibleAsync();
        await Page.Locator("input#apikey-name").FillAsync(name);
        foreach (var scope in scopes)
        {
            await Dialog.Locator($"[data-scope=\"{scope}\"] label").ClickAsync();
            await Expect(Dialog.Locator($"[data-scope=\"{scope}\"] input[type=checkbox]")).ToBeCheckedAsync();
        }

        if (expiresInDays is { } days)
        {
            await Page.Locator("input#apikey-expiry").FillAsync(days.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (perMinute is { } rate)
        {
            await Page.Locator("input#apikey-rate").FillAsync(rate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Page.Locator("#apikey-create-submit").ClickAsync();
        await Expect(Secret).ToBeVisibleAsync();
        return (await Secret.InnerTextAsync()).Trim();
    }

    /// <summary>Clicks Copy on the shown key and waits for the dialog to say it was copied.</summary>
    public async Task CopyAsync()
    {
        await Page.Locator("#apikey-copy").ClickAsync();
        await Expect(CopyMessage).ToHaveTextAsync("Copied to the clipboard.");
    }

    /// <summary>Opens the revoke dialog of a key's row; it asks for a step-up first.</summary>
    public async Task OpenRevokeAsync(string identifier)
    {
        await Row(identifier).Locator("[data-revoke]").ClickAsync();
        await Expect(StepUpChallenge).ToBeVisibleAsync();
    }

    public Task ConfirmRevokeAsync() => RevokeConfirm.ClickAsync();

    /// <summary>Closes the open dialog (Cancel, Done or Close).</summary>
    public async Task CloseDialogAsync()
    {
        await Page.Locator("#apikey-create-close, #apikey-revoke-close").ClickAsync();
        await Expect(Dialog).ToHaveCountAsync(0);
    }

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex Number();
}
