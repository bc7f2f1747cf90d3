using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Playwright;

using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>
/// The whole round trip in headless Chromium: protected page, provider login page, back signed in with the expected
/// claims, sign-out through the provider's end-session endpoint, and the provider session really gone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserSignInTests(BrowserFixture browser)
{
    [Fact]
    public async Task AddOpenIdConnect_GenericProvider_SignsInWithClaimsAndSignsOutThroughEndSession()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice, TestUsers.Bob);
        await using RelyingParty app = await RelyingParty.StartWithOpenIdConnectAsync(provider);
        IPage page = await browser.NewPageAsync();
        var login = new IdentityProviderLoginPage(page);

        await page.GotoAsync(app.Url("protected").ToString());
        await Expect(page).ToHaveURLAsync(StartsWith(new Uri(provider.BaseAddress, "connect/authorize")));
        await login.SignInAsAsync("alice");

        await Expect(page).ToHaveURLAsync(app.Url("protected").ToString());
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Alice Admin");
        await Expect(page.Locator("#is-admin")).ToHaveTextAsync("yes");
        await Expect(Claim(page, "email")).ToHaveTextAsync("alice@coderaft.test");
        await Expect(Claim(page, "preferred_username")).ToHaveTextAsync("alice@coderaft.test");
        await Expect(Claim(page, "roles")).ToHaveTextAsync(["admin", "auditor"]);
        await Expect(Claim(page, "sub")).ToHaveTextAsync("alice");

        JsonWebToken idToken = Assert.Single(app.IdTokens);
        Assert.Equal(provider.Issuer, idToken.Issuer);
        Assert.Equal([RelyingParty.ClientId], idToken.Audiences);
        Assert.False(idToken.TryGetPayloadValue("tid", out string _), "The generic shape issues no Entra claims.");

        await page.GotoAsync(app.Url("signout").ToString());
        await Expect(page.Locator("#app-signed-out")).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(app.Url("signed-out").ToString());

        // The provider session is gone too: the next visit shows the login page instead of signing in silently.
        await page.GotoAsync(app.Url("protected").ToString());
        await Expect(login.UserButton("bob")).ToBeVisibleAsync();

        Assert.Equal(
            [
                TestIdentityProviderEventKinds.Authorize, TestIdentityProviderEventKinds.LoginPage,
                TestIdentityProviderEventKinds.Authorize, TestIdentityProviderEventKinds.SignIn,
                TestIdentityProviderEventKinds.Token, TestIdentityProviderEventKinds.UserInfo,
                TestIdentityProviderEventKinds.EndSession,
                TestIdentityProviderEventKinds.Authorize, TestIdentityProviderEventKinds.LoginPage,
            ],
            provider.Events.Select(e => e.Kind));
        Assert.Contains(new TestIdentityProviderEvent(TestIdentityProviderEventKinds.EndSession, null, "alice"), provider.Events);
    }

    [Theory]
    [InlineData(EntraIssuerTrust.ValidIssuer)]
    [InlineData(EntraIssuerTrust.PinnedHttpClient)]
    public async Task MicrosoftIdentityWeb_EntraShapedProvider_SignsInWithTenantClaimsAndSignsOut(EntraIssuerTrust issuerTrust)
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartEntraAsync(TestUsers.Alice, TestUsers.Bob);
        await using RelyingParty app = await RelyingParty.StartWithMicrosoftIdentityWebAsync(provider, issuerTrust);
        IPage page = await browser.NewPageAsync();
        var login = new IdentityProviderLoginPage(page);

        await page.GotoAsync(app.Url("protected").ToString());
        await Expect(page).ToHaveURLAsync(StartsWith(new Uri(provider.BaseAddress, $"{provider.TenantId}/oauth2/v2.0/authorize")));
        await login.SignInAsAsync("alice");

        await Expect(page).ToHaveURLAsync(app.Url("protected").ToString());

        // Microsoft.Identity.Web makes preferred_username the name claim.
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("alice@coderaft.test");
        await Expect(page.Locator("#is-admin")).ToHaveTextAsync("yes");
        await Expect(Claim(page, "name")).ToHaveTextAsync("Alice Admin");
        await Expect(Claim(page, "email")).ToHaveTextAsync("alice@coderaft.test");
        await Expect(Claim(page, "roles")).ToHaveTextAsync(["admin", "auditor"]);
        await Expect(Claim(page, "tid")).ToHaveTextAsync(provider.TenantId);
        await Expect(Claim(page, "oid")).ToHaveTextAsync(TestUsers.Alice.ObjectId!);
        await Expect(Claim(page, "ver")).ToHaveCountAsync(0); // in the token (below), dropped by the default claim actions

        JsonWebToken idToken = Assert.Single(app.IdTokens);
        Assert.Equal($"https://localhost:{provider.BaseAddress.Port}/{provider.TenantId}/v2.0", idToken.Issuer);
        Assert.Equal("2.0", idToken.GetPayloadValue<string>("ver"));
        Assert.Equal(provider.TenantId, idToken.GetPayloadValue<string>("tid"));

        await page.GotoAsync(app.Url("signout").ToString());
        await Expect(page.Locator("#app-signed-out")).ToBeVisibleAsync();

        await page.GotoAsync(app.Url("protected").ToString());
        await Expect(login.UserButton("bob")).ToBeVisibleAsync();

        // A code was redeemed (code flow, with the PKCE the provider demands), then the session was ended.
        Assert.Contains(new TestIdentityProviderEvent(TestIdentityProviderEventKinds.Token, RelyingParty.ClientId, "alice"), provider.Events);
        Assert.Contains(new TestIdentityProviderEvent(TestIdentityProviderEventKinds.EndSession, null, "alice"), provider.Events);
    }

    [Fact]
    public async Task AddOpenIdConnect_SecondVisitWhileProviderSessionLasts_SkipsTheLoginPage()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice, TestUsers.Bob);
        await using RelyingParty app = await RelyingParty.StartWithOpenIdConnectAsync(provider);
        IPage page = await browser.NewPageAsync();

        await page.GotoAsync(app.Url("protected").ToString());
        await new IdentityProviderLoginPage(page).SignInAsAsync("bob");
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Bob Viewer");

        // Drop only the app's own session cookie: the provider still knows Bob and answers without a page.
        await page.Context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = "rp.session" });
        await page.GotoAsync(app.Url("protected").ToString());
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Bob Viewer");
        await Expect(page.Locator("#is-admin")).ToHaveTextAsync("no");

        Assert.Single(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.LoginPage);
        Assert.Equal(2, provider.Events.Count(e => e.Kind == TestIdentityProviderEventKinds.SignIn && e.Subject == "bob"));
    }

    [Fact]
    public async Task AddOpenIdConnect_UserCancelsAtProvider_AppGetsAccessDenied()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await using RelyingParty app = await RelyingParty.StartWithOpenIdConnectAsync(provider);
        IPage page = await browser.NewPageAsync();

        await page.GotoAsync(app.Url("protected").ToString());
        IRequest callback = await page.RunAndWaitForRequestAsync(
            () => new IdentityProviderLoginPage(page).CancelAsync(),
            r => r.Url.StartsWith(app.Url("signin-oidc").ToString(), StringComparison.Ordinal));

        // ASP.NET Core asks for response_mode=form_post, so the error arrives in the POST body.
        Assert.Contains("error=access_denied", callback.PostData ?? callback.Url, StringComparison.Ordinal);
        Assert.Contains(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.Cancelled);
        Assert.DoesNotContain(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.SignIn);
    }

    private static ILocator Claim(IPage page, string type) => page.Locator($"li[data-claim='{type}']");

    private static Regex StartsWith(Uri prefix) => new("^" + Regex.Escape(prefix.ToString()));
}
