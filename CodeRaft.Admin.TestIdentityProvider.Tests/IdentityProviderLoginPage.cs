using Microsoft.Playwright;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>Page object for the test identity provider's login page.</summary>
public sealed class IdentityProviderLoginPage(IPage page)
{
    public ILocator UserButton(string subject) => page.GetByTestId(TestIdentityProvider.UserButtonTestId(subject));

    public Task SignInAsAsync(string subject) => UserButton(subject).ClickAsync();

    public Task CancelAsync() => page.GetByTestId(TestIdentityProvider.CancelButtonTestId).ClickAsync();
}
