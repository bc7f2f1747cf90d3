using Microsoft.Playwright;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>The test identity provider's login page (one button per user), one method per user action.</summary>
public sealed class ProviderLoginPage(IPage page)
{
    public ILocator UserButton(string subject) =>
        page.GetByTestId(CodeRaft.Admin.TestIdentityProvider.TestIdentityProvider.UserButtonTestId(subject));

    public async Task SignInAsAsync(string subject) => await UserButton(subject).ClickAsync();
}
