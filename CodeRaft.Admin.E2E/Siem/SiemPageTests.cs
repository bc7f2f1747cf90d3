using CodeRaft.Admin.E2E.Audit;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Users;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using SiemPageObject = CodeRaft.Admin.E2E.Pages.SiemPage;

namespace CodeRaft.Admin.E2E.Siem;

/// <summary>Issue 8: a syslog target's life in Chromium — added behind a step-up, listed, edited, disabled, removed.</summary>
[Collection(E2ECollection.Name)]
public sealed class SiemPageTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Password = "siem e2e passphrase";
    private static readonly string[] RecoveryCodes = ["s1em-aaaa-bbbb-cccc", "s1em-dddd-eeee-ffff", "s1em-gggg-hhhh-jjjj"];

    [Fact]
    public async Task AddEditDisableRemove_SyslogTarget_EachBehindStepUp()
    {
        var email = $"e2e-siem-{Guid.NewGuid():N}@example.test";
        var totpKey = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, Password, totpKey, AdminRole.Administrator, RecoveryCodes);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, Password, totpKey);
        var siem = new SiemPageObject(session.Page);
        await siem.GotoAsync();
        var name = $"rsyslog-{Guid.NewGuid():N}"[..20];

        // Add: the form exists only after the step-up; a bad port is refused with the field's message.
        await siem.OpenAddAsync();
        await Expect(siem.TargetForm).ToHaveCountAsync(0);
        await siem.StepUpAsync(SignInPage.NextCode(totpKey));
        await siem.FillAndSaveAsync(name, "siem.example.com:70000");
        await Expect(siem.TargetMessage).ToHaveTextAsync("The port must be a number from 1 to 65535.");
        await siem.FillAndSaveAsync(null, "127.0.0.1:1514");
        await Expect(siem.TargetResult).ToContainTextAsync("Added the SIEM target");
        await siem.CloseDialogAsync();
        await Expect(siem.Cell(name, "endpoint")).ToHaveTextAsync("127.0.0.1:1514");
        await Expect(siem.Cell(name, "type")).ToHaveTextAsync("syslog-tcp");
        await AuditLogTests.SaveScreenshotAsync(session.Page, "siem-list.png", output);

        // Edit.
        await siem.OpenEditAsync(name);
        await siem.StepUpWithRecoveryCodeAsync(RecoveryCodes[0]);
        await siem.FillAndSaveAsync(null, "[::1]:1514");
        await Expect(siem.TargetResult).ToContainTextAsync("Saved the SIEM target");
        await siem.CloseDialogAsync();
        await Expect(siem.Cell(name, "endpoint")).ToHaveTextAsync("[::1]:1514");

        // Disable.
        await siem.OpenActionAsync(name, "disable");
        await Expect(siem.ActionConfirm).ToHaveCountAsync(0);
        await siem.StepUpWithRecoveryCodeAsync(RecoveryCodes[1]);
        await siem.ConfirmActionAsync();
        await Expect(siem.ActionResult).ToHaveAttributeAsync("data-outcome", "succeeded");
        await siem.CloseDialogAsync();
        await Expect(siem.Row(name).Locator("[data-action=enable]")).ToHaveCountAsync(1);

        // Remove.
        await siem.OpenActionAsync(name, "remove");
        await siem.StepUpWithRecoveryCodeAsync(RecoveryCodes[2]);
        await siem.ConfirmActionAsync();
        await Expect(siem.ActionResult).ToHaveAttributeAsync("data-outcome", "succeeded");
        await siem.CloseDialogAsync();
        await Expect(siem.Row(name)).ToHaveCountAsync(0);

        // The dashboard's SIEM tile links here.
        await session.Page.GotoAsync("");
        await new ShellPage(session.Page).WaitForInteractiveAsync();
        await Expect(session.Page.Locator("#dashboard-siem-link")).ToHaveAttributeAsync("href", "settings/siem");

        AuditLogTests.AssertNothingFailed(session);
    }
}
