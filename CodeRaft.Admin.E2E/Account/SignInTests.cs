using Microsoft.Extensions.DependencyInjection;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>Local sign-in in a real browser: password, then a TOTP code computed as an authenticator app would.</summary>
[Collection(E2ECollection.Name)]
public sealed class SignInTests(AdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task ConsoleRoute_WithoutSession_RedirectsToSignIn()
    {
        await using var session = await browser.NewSessionAsync(app.BaseAddress);

        await session.Page.GotoAsync("audit");

        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin\\?ReturnUrl=%2Faudit"));
        await Expect(session.Page.Locator("#signin-submit")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task SignIn_WrongPasswordThenWrongCodeThenReplayedCode_EachRefusedWithAMessage()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, "another long passphrase 7", key, Admin.Features.Users.AdminRole.Auditor);
        await using var first = await browser.NewSessionAsync(app.BaseAddress);
        var signIn = new SignInPage(first.Page);

        await signIn.OpenAsync();
        await signIn.SubmitPasswordAsync(email, "not the password at all");
        await Expect(signIn.Error).ToContainTextAsync("The e-mail or password is not correct");

        await signIn.SubmitPasswordAsync(email, "another long passphrase 7");
        await signIn.SubmitCodeAsync("000000");
        await Expect(signIn.Error).ToContainTextAsync("not valid");

        var code = SignInPage.CurrentCode(key);
        await signIn.SubmitCodeAsync(code);
        await Expect(first.Page.Locator("h1")).ToHaveTextAsync("Dashboard");

        // The same code from another browser: refused, each time step is accepted once per user.
        await using var second = await browser.NewSessionAsync(app.BaseAddress);
        var again = new SignInPage(second.Page);
        await again.OpenAsync();
        await again.SubmitPasswordAsync(email, "another long passphrase 7");
        await again.SubmitCodeAsync(code);
        await Expect(again.Error).ToContainTextAsync("already used");
    }

    [Fact]
    public async Task OpenPage_UserDisabledMeanwhile_LosesAccessWithinThirtySeconds()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, "soon to be disabled passphrase", key, Admin.Features.Users.AdminRole.Administrator);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, "soon to be disabled passphrase", key);
        // Clicks on prerendered markup do nothing: wait for the circuit first.
        await new ShellPage(session.Page).WaitForInteractiveAsync();
        await session.Page.Locator("[data-nav='/audit']").ClickAsync();
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Audit log");

        // An administrator disables the account while its page stays open (no navigation, no reload).
        await app.SetUserStatusAsync(email, Admin.Features.Users.AdminUserStatus.Disabled);

        // The circuit re-checks its user every 30 s; the page must leave for the sign-in page on its own.
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"),
            new() { Timeout = 40_000 });
    }

    [Fact]
    public async Task SignOut_FromTheAppBar_EndsTheSession()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, "yet another long passphrase", key, Admin.Features.Users.AdminRole.Viewer);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, "yet another long passphrase", key);

        await session.Page.Locator("#signout").ClickAsync();

        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));
        var contexts = app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<CodeRaft.Admin.Infrastructure.Data.AdminDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var normalized = email.ToUpperInvariant();
            var userId = db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => u.Id).Single().ToString();
            Assert.Equal(1, db.AuditEntries.Count(e => e.Action == "auth.signed_out" && e.TargetId == userId));
        }

        await session.Page.GotoAsync("");
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin\\?ReturnUrl="));
    }
}
