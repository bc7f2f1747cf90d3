using Microsoft.Playwright;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>The Local-mode activation page (/account/activate?token=…), one method per user action.</summary>
public sealed class ActivatePage(IPage page)
{
    public ILocator Email => page.Locator("#activate-email");

    public ILocator Errors => page.Locator(".activate-error");

    public ILocator Submit => page.Locator("#activate-submit");

    /// <summary>Opens the link as the invitee would (the link is relative to the portal's address).</summary>
    public async Task OpenAsync(string link) => await page.GotoAsync(link.TrimStart('/'));

    public async Task SetPasswordAsync(string password, string confirmation)
    {
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#confirmPassword").FillAsync(confirmation);
        await Submit.ClickAsync();
    }
}
