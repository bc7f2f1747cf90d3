using Microsoft.Playwright;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>My account (/account) once two-factor authentication is on: recovery codes and sessions.</summary>
public sealed class MyAccountPage(IPage page)
{
    public ILocator RemainingCodes => page.Locator("#recovery-codes-remaining");

    public ILocator Codes => page.Locator("#recovery-codes");

    public ILocator RegenerateButton => page.Locator("#recovery-codes-regenerate");

    public ILocator StepUpChallenge => page.Locator("[data-stepup-challenge]");

    public ShellPage Shell { get; } = new(page);

    /// <summary>Opens the page and waits for its circuit (typing into prerendered markup would be lost).</summary>
    public async Task OpenAsync()
    {
        await page.GotoAsync("account");
        await Shell.WaitForInteractiveAsync();
    }

    public async Task StepUpAsync(string code)
    {
        await page.Locator("input[data-stepup-code]").FillAsync(code);
        await page.Locator("[data-stepup-form] button[type=submit]").ClickAsync();
    }

    public Task RegenerateAsync() => RegenerateButton.ClickAsync();

    public Task<IDownload> DownloadCodesAsync() => page.RunAndWaitForDownloadAsync(() => page.Locator("#recovery-codes-download").ClickAsync());

    public Task SignOutEverywhereAsync() => page.Locator("#signout-everywhere").ClickAsync();
}
