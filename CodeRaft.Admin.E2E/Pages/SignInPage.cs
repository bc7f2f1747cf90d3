using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>The sign-in pages (password, then the TOTP code), one method per user action.</summary>
public sealed class SignInPage(IPage page)
{
    public ILocator Error => page.Locator("#signin-error, #code-error");

    /// <summary>"You are signed out", after a sign-out that also ended the identity provider's session.</summary>
    public ILocator SignedOutNotice => page.Locator("#signed-out");

    public async Task OpenAsync() => await page.GotoAsync("account/signin");

    /// <summary>OIDC modes: "Sign in with your organization" (the page has no password form there).</summary>
    public async Task SignInWithOrganizationAsync() => await page.Locator("#signin-external").ClickAsync();

    public async Task SubmitPasswordAsync(string email, string password)
    {
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#signin-submit").ClickAsync();
    }

    public async Task SubmitCodeAsync(string code)
    {
        await page.Locator("#code").FillAsync(code);
        await page.Locator("#code-submit").ClickAsync();
    }

    public async Task SubmitRecoveryCodeAsync(string recoveryCode)
    {
        await page.Locator("#use-recovery-code").ClickAsync();
        await page.Locator("#recovery-code").FillAsync(recoveryCode);
        await page.Locator("#code-submit").ClickAsync();
    }

    /// <summary>The code of the next time step: still accepted (±1 step), and not the one a sign-in just used.</summary>
    public static string NextCode(string totpKey) =>
        CodeRaft.Admin.Security.Totp.Totp.Hotp(CodeRaft.Admin.Security.Totp.Base32.Decode(totpKey)!, CodeRaft.Admin.Security.Totp.Totp.StepAt(DateTimeOffset.UtcNow) + 1);

    /// <summary>The code an authenticator app shows right now for <paramref name="totpKey"/>.</summary>
    public static string CurrentCode(string totpKey) =>
        CodeRaft.Admin.Security.Totp.Totp.Hotp(CodeRaft.Admin.Security.Totp.Base32.Decode(totpKey)!, CodeRaft.Admin.Security.Totp.Totp.StepAt(DateTimeOffset.UtcNow));

    public async Task SignInAsync(string email, string password, string totpKey)
    {
        await OpenAsync();
        await SubmitPasswordAsync(email, password);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin/code"));
        await SubmitCodeAsync(CurrentCode(totpKey));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
    }
}
