using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>Recovery codes (fallback at sign-in, privileged regeneration) and "sign out everywhere", in Chromium.</summary>
[Collection(E2ECollection.Name)]
public sealed partial class MyAccountTests(AdminAppFixture app, BrowserFixture browser)
{
    private const string Password = "my account flows passphrase";

    [Fact]
    public async Task SignIn_WithARecoveryCode_SignsInOnceAndTheCodeIsSpent()
    {
        var (email, _) = await SeedAsync(["k3mq-p7xv-2dre-9tbw"]);
        await using var first = await browser.NewSessionAsync(app.BaseAddress);
        var signIn = new SignInPage(first.Page);

        await signIn.OpenAsync();
        await signIn.SubmitPasswordAsync(email, Password);
        await signIn.SubmitRecoveryCodeAsync("K3MQ P7XV 2DRE 9TBW"); // typed loosely: case and separators don't matter
        await Expect(first.Page.Locator("h1")).ToHaveTextAsync("Dashboard");

        await using var second = await browser.NewSessionAsync(app.BaseAddress);
        var again = new SignInPage(second.Page);
        await again.OpenAsync();
        await again.SubmitPasswordAsync(email, Password);
        await again.SubmitRecoveryCodeAsync("k3mq-p7xv-2dre-9tbw");
        await Expect(again.Error).ToContainTextAsync("not valid or was already used");
    }

    [Fact]
    public async Task RegenerateRecoveryCodes_AfterAStepUp_ShowsTenCodesOnceAndDownloadsThem()
    {
        var (email, key) = await SeedAsync(["old1-old2-old3-old4"]);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, Password, key);
        var account = new MyAccountPage(session.Page);

        await account.OpenAsync();
        await Expect(account.RemainingCodes).ToContainTextAsync("1 of your recovery codes");
        await Expect(account.StepUpChallenge).ToBeVisibleAsync();
        await Expect(account.RegenerateButton).ToHaveCountAsync(0); // privileged: nothing until the step-up
        await account.StepUpAsync(SignInPage.NextCode(key));
        await account.RegenerateAsync();

        await Expect(account.Codes).ToBeVisibleAsync();
        var shown = (await account.Codes.InnerTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, shown.Length);
        Assert.All(shown, code => Assert.Matches(RecoveryCode(), code));
        var download = await account.DownloadCodesAsync();
        Assert.Equal(shown, (await File.ReadAllTextAsync(await download.PathAsync())).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await Expect(account.RemainingCodes).ToContainTextAsync("10 of your recovery codes");
    }

    [Fact]
    public async Task SignOutEverywhere_EndsThisSessionAndTheOtherBrowsersOpenPageAtOnce()
    {
        var (email, key) = await SeedAsync([]);
        await using var here = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(here.Page).SignInAsync(email, Password, key);
        await using var elsewhere = await browser.NewSessionAsync(app.BaseAddress);
        var other = new SignInPage(elsewhere.Page);
        await other.OpenAsync();
        await other.SubmitPasswordAsync(email, Password);
        await other.SubmitCodeAsync(SignInPage.NextCode(key));
        await Expect(elsewhere.Page.Locator("h1")).ToHaveTextAsync("Dashboard");
        // Clicks on prerendered markup do nothing: wait for the circuit first.
        await new ShellPage(elsewhere.Page).WaitForInteractiveAsync();
        await elsewhere.Page.Locator("[data-nav='/audit']").ClickAsync();
        await Expect(elsewhere.Page.Locator("h1")).ToHaveTextAsync("Audit log");

        var account = new MyAccountPage(here.Page);
        await account.OpenAsync();
        await account.SignOutEverywhereAsync();

        await Expect(here.Page).ToHaveURLAsync(new Regex("/account/signin"));
        // Not the 30-second revalidation: the change is signalled to the other circuit when it commits.
        await Expect(elsewhere.Page).ToHaveURLAsync(new Regex("/account/signin"), new() { Timeout = 10_000 });
    }

    private async Task<(string Email, string Key)> SeedAsync(IReadOnlyList<string> recoveryCodes)
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, Password, key, Admin.Features.Users.AdminRole.Administrator, recoveryCodes);
        return (email, key);
    }

    [GeneratedRegex("^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")]
    private static partial Regex RecoveryCode();
}
