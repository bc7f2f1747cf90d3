using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>My account (/account): TOTP enrollment, one method per user action.</summary>
public sealed class AccountPage(IPage page)
{
    /// <summary>Reads the key off the page, enters the code an authenticator app would show, activates; returns the key.</summary>
    public async Task<string> EnrollTotpAsync()
    {
        await Expect(page.Locator("#totp-key")).ToBeVisibleAsync();
        var key = (await page.Locator("#totp-key").InnerTextAsync()).Trim();
        await page.Locator("input#totp-code").FillAsync(SignInPage.CurrentCode(key));
        await page.Locator("#totp-activate").ClickAsync();
        await Expect(page.Locator("#recovery-codes")).ToBeVisibleAsync();
        return key;
    }

    /// <summary>"Continue" after the recovery codes: the session gains the second factor (/account/session/refresh).</summary>
    public async Task ContinueAsync() => await page.Locator("#enrollment-continue").ClickAsync();
}
