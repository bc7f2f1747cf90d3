using CodeRaft.Admin.E2E.Audit;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.LicenseIssuer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using LicensesPageObject = CodeRaft.Admin.E2E.Pages.LicensesPage;

namespace CodeRaft.Admin.E2E.Licenses;

/// <summary>
/// Issue 9 in Chromium: an Owner pastes a license signed by the fixture's vendor key, sees the impact preview (seats
/// versus users granted, features), installs it behind a step-up, and sees the seats on the product card and the
/// history row; then a key with one payload character changed is refused with the bad-signature sentence and nothing
/// changes. Both are in the audit log (license.installed, license.rejected).
/// </summary>
[Collection(E2ECollection.Name)]
public sealed class LicensesPageTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Password = "licenses e2e passphrase";

    // No other E2E test grants RedFox Bastion, so its seat count is this test's own.
    private const string Product = "redfox-bastion";

    [Fact]
    public async Task InstallWithPreviewAndStepUp_ThenTamperedKey_RefusedAndNothingChanges()
    {
        // Its own Owner: a TOTP step is accepted once per user, and other tests step up as the fixture's Owner.
        var email = $"e2e-licenses-{Guid.NewGuid():N}@example.test";
        var totpKey = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, Password, totpKey, AdminRole.Owner);
        await GrantAsync(Product, users: 3);
        var now = DateTimeOffset.UtcNow;
        var payload = new LicensePayload(1, Guid.NewGuid(), "org-e2e", "E2E Org", Product, "standard", ["session-proxy", "session-recording"], 5,
            Seconds(now.AddDays(-1)), Seconds(now.AddDays(364)));
        var key = LicenseKeyWriter.Issue(app.LicenseVendorKey, payload);

        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(session.Page).SignInAsync(email, Password, totpKey);
        var licenses = new LicensesPageObject(session.Page);
        await licenses.GotoAsync();
        await Expect(licenses.StateOf(Product)).ToHaveAttributeAsync("data-state", "unlicensed");

        // Check: the preview, before anything is installed.
        await licenses.CheckAsync(key);
        await Expect(licenses.Preview).ToHaveAttributeAsync("data-license-id", payload.LicenseId.ToString());
        await Expect(licenses.PreviewField("product")).ToHaveTextAsync("RedFox Bastion");
        await Expect(licenses.PreviewField("organization")).ToHaveTextAsync("E2E Org");
        await Expect(licenses.PreviewField("seats")).ToHaveTextAsync("5 seats, 3 users granted now");
        await Expect(licenses.PreviewField("gained")).ToHaveTextAsync("session-proxy");
        await Expect(licenses.PreviewField("not-granted")).ToContainTextAsync("session-recording");
        await Expect(licenses.PreviewOverAllocated).ToHaveCountAsync(0);
        await AuditLogTests.SaveScreenshotAsync(session.Page, "licenses-preview.png", output);
        Assert.Equal(0, await InstalledCountAsync(payload.LicenseId));

        // Install: nothing to confirm before the step-up.
        await licenses.OpenInstallAsync();
        await Expect(licenses.ActionConfirm).ToHaveCountAsync(0);
        await licenses.StepUpAsync(SignInPage.NextCode(totpKey));
        await licenses.ConfirmAsync();
        await Expect(licenses.ActionResult).ToHaveAttributeAsync("data-outcome", "succeeded");
        await Expect(licenses.Snackbar).ToContainTextAsync("Installed the RedFox Bastion license for E2E Org: 5 seats (3 in use)");
        await licenses.CloseDialogAsync();

        // The card and the history show it.
        await Expect(licenses.StateOf(Product)).ToHaveAttributeAsync("data-state", "valid");
        await Expect(licenses.SeatsOf(Product)).ToHaveTextAsync("3 of 5 seats used, 2 available");
        await Expect(licenses.Card(Product).Locator("[data-feature]")).ToHaveTextAsync(["session-proxy"]);
        await Expect(licenses.HistoryRow(payload.LicenseId.ToString()).Locator("[data-col=installed]")).ToContainTextAsync("E2E Owner");
        await AuditLogTests.SaveScreenshotAsync(session.Page, "licenses-installed.png", output);

        // A key with one payload character changed: refused with its reason, and nothing changes.
        var parts = key.Split('.');
        var changed = parts[1].ToCharArray();
        changed[changed.Length / 2] = changed[changed.Length / 2] == 'A' ? 'B' : 'A';
        await licenses.CheckAsync($"{parts[0]}.{new string(changed)}.{parts[2]}");
        await Expect(licenses.Rejection).ToHaveAttributeAsync("data-reason", "bad_signature");
        await Expect(licenses.Rejection).ToHaveAttributeAsync("role", "alert");
        await Expect(licenses.Rejection).ToContainTextAsync("The signature does not match");
        await Expect(licenses.Preview).ToHaveCountAsync(0);
        await AuditLogTests.SaveScreenshotAsync(session.Page, "licenses-tampered.png", output);
        await session.Page.ReloadAsync();
        await licenses.Shell.WaitForInteractiveAsync();
        await Expect(licenses.SeatsOf(Product)).ToHaveTextAsync("3 of 5 seats used, 2 available");
        await Expect(licenses.Card(Product).Locator("[data-field=license-id]")).ToHaveTextAsync(payload.LicenseId.ToString());
        Assert.Equal(1, await InstalledCountAsync(payload.LicenseId));

        // The audit log: the install (target: its license id) and, after it, the refusal with its reason; never the key.
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Category == CodeRaft.Admin.Features.Licenses.LicenseManagementCore.Category).OrderBy(e => e.Sequence).ToListAsync();
            var installed = Assert.Single(entries, e => e.Action == "license.installed" && e.TargetId == payload.LicenseId.ToString());
            Assert.Equal("success", installed.Outcome);
            var rejected = entries.Last(e => e.Action == "license.rejected");
            Assert.True(rejected.Sequence > installed.Sequence);
            Assert.Equal("failure", rejected.Outcome);
            Assert.Contains("\"bad_signature\"", rejected.Details, StringComparison.Ordinal);
            Assert.All(entries, e => Assert.DoesNotContain(parts[2], e.Details, StringComparison.Ordinal));
        }

        // The dashboard's license tile shows the seats too, and links here.
        await session.Page.GotoAsync("");
        await new ShellPage(session.Page).WaitForInteractiveAsync();
        await Expect(session.Page.Locator($"#dashboard-licenses [data-product={Product}]")).ToContainTextAsync("3 of 5 seats used");
        await Expect(session.Page.Locator("#dashboard-licenses-link")).ToHaveAttributeAsync("href", "settings/licenses");

        AuditLogTests.AssertNothingFailed(session);
    }

    private IDbContextFactory<AdminDbContext> Contexts => app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

    /// <summary>Seeds Viewers holding the product, straight in the store (seats in use).</summary>
    private async Task GrantAsync(string product, int users)
    {
        var id = Products.All.Single(p => p.Id() == product);
        for (var i = 0; i < users; i++)
        {
            var email = $"e2e-seat-{Guid.NewGuid():N}@example.test";
            await app.SeedUserAsync(email, Password, null, AdminRole.Viewer);
            await using var db = await Contexts.CreateDbContextAsync();
            var normalized = email.ToUpperInvariant();
            var user = await db.Users.SingleAsync(u => u.NormalizedEmail == normalized);
            db.ProductAccess.Add(new ProductAccess { Id = Guid.CreateVersion7(), UserId = user.Id, Product = id, GrantedAt = DateTime.UtcNow, GrantedBy = "e2e" });
            await db.SaveChangesAsync();
        }
    }

    private async Task<int> InstalledCountAsync(Guid licenseId)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        return await db.Licenses.CountAsync(l => l.LicenseId == licenseId);
    }

    private static DateTimeOffset Seconds(DateTimeOffset time) => new(time.UtcDateTime.Ticks - (time.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
