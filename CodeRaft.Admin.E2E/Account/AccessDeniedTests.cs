using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>A signed-in role without a screen is told so (not sent to sign in again), by URL and inside the circuit.</summary>
[Collection(E2ECollection.Name)]
public sealed class AccessDeniedTests(AdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task Viewer_OpensTheAuditLog_SeesNoAccessByUrlAndByNavigation()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, "viewer passphrase for e2e", key, Admin.Features.Users.AdminRole.Viewer);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, "viewer passphrase for e2e", key);

        // Inside the circuit (interactive navigation): the router's NotAuthorized view.
        var shell = new ShellPage(session.Page);
        await shell.WaitForInteractiveAsync();
        await session.Page.Locator("[data-nav='/audit']").ClickAsync();
        await Expect(session.Page.Locator("#access-denied")).ToContainTextAsync("Your role (Viewer) does not include this screen");

        // A full page load: the server's authorization sends the browser to /access-denied.
        await session.Page.GotoAsync("audit");
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/access-denied"));
        await Expect(session.Page.Locator("#access-denied")).ToContainTextAsync("Viewer");

        // The export download refuses the role too, whatever the ticket.
        var response = await session.Page.APIRequest.GetAsync("audit/export/not-a-ticket", new() { MaxRedirects = 0 });
        Assert.Equal(302, response.Status);
        Assert.Contains("/access-denied", response.Headers.GetValueOrDefault("location") ?? "", StringComparison.Ordinal);
    }
}
