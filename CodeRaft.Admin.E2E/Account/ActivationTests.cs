using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Users;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Account;

/// <summary>Local mode: an invitee opens the one-time link, sets a password, enrolls TOTP and reaches the dashboard.</summary>
[Collection(E2ECollection.Name)]
public sealed class ActivationTests(AdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task ActivationLink_PasswordThenTotp_DashboardAndTheLinkIsDead()
    {
        var email = $"e2e-invitee-{Guid.NewGuid():N}@example.test";
        var invite = await app.Services.GetRequiredService<UserManagementCore>().InviteAsync(UserOperator.HostCli,
            new InviteUserInput { Email = email, DisplayName = "Ivy Invitee", Role = AdminRole.Auditor });
        Assert.True(invite.Succeeded, invite.Message);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        var page = session.Page;
        var activate = new ActivatePage(page);

        await activate.OpenAsync(invite.ActivationLink!);
        await Expect(activate.Email).ToHaveTextAsync(email);
        await activate.SetPasswordAsync("ivy's long passphrase", "ivy's long passphrase, typo");
        await Expect(activate.Errors).ToHaveTextAsync("The two passwords are not the same.");
        await activate.SetPasswordAsync("ivy's long passphrase", "ivy's long passphrase");

        // A first-factor session: TOTP enrollment is the only way on.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account$"));
        var key = (await page.Locator("#totp-key").InnerTextAsync()).Trim();
        await page.Locator("input#totp-code").FillAsync(SignInPage.CurrentCode(key));
        await page.Locator("#totp-activate").ClickAsync();
        await Expect(page.Locator("#recovery-codes")).ToBeVisibleAsync();
        await page.Locator("#enrollment-continue").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");

        await using var later = await browser.NewSessionAsync(app.BaseAddress);
        var again = new ActivatePage(later.Page);
        await again.OpenAsync(invite.ActivationLink!);
        await Expect(again.Errors).ToContainTextAsync("already used");
        await Expect(again.Submit).ToHaveCountAsync(0);
    }
}
