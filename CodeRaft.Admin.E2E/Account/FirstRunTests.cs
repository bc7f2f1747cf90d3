using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>A portal with no user: setup token → first Owner → TOTP enrollment → dashboard.</summary>
public sealed class FirstRunAppFixture : AdminAppFixture
{
    public FirstRunAppFixture() => SeedOwner = false;
}

[CollectionDefinition(Name)]
public sealed class FirstRunCollection : ICollectionFixture<FirstRunAppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "E2E first run";
}

[Collection(FirstRunCollection.Name)]
public sealed class FirstRunTests(FirstRunAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task FirstRun_SetupTokenToDashboard_OwnerEnrolledWithRecoveryCodes()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        var page = session.Page;
        var token = (await File.ReadAllTextAsync(Path.Combine(app.DataDirectory, "setup-token"))).Trim();

        await page.GotoAsync("");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/setup$"));
        await page.Locator("#token").FillAsync(token);
        await page.Locator("#email").FillAsync("owner@example.test");
        await page.Locator("#displayName").FillAsync("First Owner");
        await page.Locator("#password").FillAsync("a long first owner passphrase");
        await page.Locator("#setup-submit").ClickAsync();

        // Straight to enrollment: read the key from the page, compute the code as an authenticator app does.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account$"));
        await Expect(page.Locator("#totp-key")).ToBeVisibleAsync();
        await Expect(page.Locator("#totp-qr")).ToBeVisibleAsync();
        var key = (await page.Locator("#totp-key").InnerTextAsync()).Trim();
        await page.Locator("input#totp-code").FillAsync(SignInPage.CurrentCode(key));
        await page.Locator("#totp-activate").ClickAsync();

        var codes = (await page.Locator("#recovery-codes").InnerTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, codes.Length);
        await page.Locator("#enrollment-continue").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, "setup-token")), "the setup token must die after use");
    }
}
