using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Audit;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using UsersPageObject = CodeRaft.Admin.E2E.Pages.UsersPage;

namespace CodeRaft.Admin.E2E.Users;

/// <summary>
/// The Users page's privileged dialogs in Chromium (issue 5): disabling ends the user's circuit in another browser,
/// a Local-mode invitation through the UI up to the invitee's TOTP enrollment, and bad input in the invite form.
/// Each test signs in its own seeded user: a TOTP step is accepted once per user, and the collection's Owner
/// steps up in other tests.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed partial class UserManagementTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Password = "users dialogs e2e passphrase";

    [Fact]
    public async Task Disable_FromAnotherBrowser_EndsTheUsersCircuitWithinSeconds()
    {
        var (ownerEmail, ownerKey, _) = await SeedAsync(AdminRole.Owner);
        var (adminEmail, adminKey, adminId) = await SeedAsync(AdminRole.Administrator);

        // B: the Administrator, signed in, on a page with a live circuit.
        await using var b = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(b.Page).SignInAsync(adminEmail, Password, adminKey);
        // Clicks on prerendered markup do nothing: wait for the circuit first.
        await new ShellPage(b.Page).WaitForInteractiveAsync();
        await b.Page.Locator("[data-nav='/audit']").ClickAsync();
        await Expect(b.Page.Locator("h1")).ToHaveTextAsync("Audit log");

        // A: an Owner disables B on the Users page.
        await using var a = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(a.Page).SignInAsync(ownerEmail, Password, ownerKey);
        var users = new UsersPageObject(a.Page);
        await users.GotoAsync();
        await users.SearchAsync(adminEmail);
        await users.ChooseActionAsync(adminId, "disable");
        await Expect(users.StepUpChallenge).ToBeVisibleAsync();
        await Expect(users.ActionConfirm).ToHaveCountAsync(0); // privileged: nothing to click before the code
        await users.StepUpAsync(SignInPage.NextCode(ownerKey));
        await Expect(users.ActionConfirm).ToBeVisibleAsync();
        await AuditLogTests.SaveScreenshotAsync(a.Page, "users-disable-dialog.png", output);
        await users.ConfirmActionAsync();

        await Expect(users.ActionResult).ToHaveAttributeAsync("data-outcome", "Succeeded");
        // Not the 30-second revalidation: the core signals the change to B's circuit when it commits.
        await Expect(b.Page).ToHaveURLAsync(SignInUrl(), new() { Timeout = 10_000 });
        await users.CloseDialogAsync();
        await Expect(users.StatusOf(adminId)).ToHaveTextAsync("Disabled");

        // And B's cookie cannot come back.
        await b.Page.GotoAsync("audit");
        await Expect(b.Page).ToHaveURLAsync(SignInUrl());
        AuditLogTests.AssertNothingFailed(a);
    }

    [Fact]
    public async Task Invite_LocalMode_LinkShownOnceThenTheInviteeActivatesAndEnrollsTotp()
    {
        var (adminEmail, adminKey, _) = await SeedAsync(AdminRole.Administrator);
        var invitee = $"e2e-invitee-{Guid.NewGuid():N}@example.test";
        const string Name = "Ivy <i>Invitee</i>";
        await using var a = await browser.NewSessionAsync(app.BaseAddress);
        await new SignInPage(a.Page).SignInAsync(adminEmail, Password, adminKey);
        var users = new UsersPageObject(a.Page);
        await users.GotoAsync();

        await users.OpenInviteAsync();
        await Expect(users.InviteForm).ToHaveCountAsync(0); // privileged: no form before the code
        await users.StepUpAsync(SignInPage.NextCode(adminKey));
        await users.FillInvitationAsync(invitee, Name);
        await users.SubmitInvitationAsync();

        await Expect(users.InviteResult).ToContainTextAsync($"{Name} is invited as Viewer");
        var link = (await users.InviteLink.InnerTextAsync()).Trim();
        Assert.StartsWith($"{app.BaseAddress}account/activate?token=", link, StringComparison.Ordinal);
        await Expect(users.InviteLinkNotice).ToContainTextAsync("You will not see this link again");
        await AuditLogTests.SaveScreenshotAsync(a.Page, "users-invite-link.png", output);
        await users.CloseDialogAsync();
        Assert.DoesNotContain(link[(link.IndexOf('=', StringComparison.Ordinal) + 1)..], await a.Page.ContentAsync(), StringComparison.Ordinal);
        await users.SearchAsync(invitee);
        await Expect(users.Names).ToHaveTextAsync([Name]);
        await Expect(a.Page.Locator("#users-grid [data-col=status]")).ToHaveTextAsync("Invited");

        // The invitee, in a browser of their own.
        await using var c = await browser.NewSessionAsync(app.BaseAddress);
        var activate = new ActivatePage(c.Page);
        await c.Page.GotoAsync(link);
        await Expect(activate.Email).ToHaveTextAsync(invitee);
        await activate.SetPasswordAsync("ivy's own long passphrase", "ivy's own long passphrase");
        await Expect(c.Page).ToHaveURLAsync(new Regex("/account$"));
        await Expect(c.Page.Locator("#totp-key")).ToBeVisibleAsync();
        AuditLogTests.AssertNothingFailed(a);
    }

    [Fact]
    public async Task Invite_NaughtyStrings_ValidationMessageOrStoredAndShownAsText_CircuitStaysLive()
    {
        var sample = NaughtyStrings.Sample(40);
        output.WriteLine($"{sample.Count} strings from {NaughtyStrings.Source}");
        var (adminEmail, adminKey, _) = await SeedAsync(AdminRole.Administrator);
        var tag = Guid.NewGuid().ToString("N")[..10];
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        var dialogs = 0;
        session.Page.Dialog += (_, _) => Interlocked.Increment(ref dialogs);
        await new SignInPage(session.Page).SignInAsync(adminEmail, Password, adminKey);
        var users = new UsersPageObject(session.Page);
        await users.GotoAsync();
        await users.OpenInviteAsync();
        await users.StepUpAsync(SignInPage.NextCode(adminKey)); // one confirmation for the open dialog

        var stored = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); // e-mail → display name as sent
        var refused = 0;
        for (var i = 0; i < sample.Count; i++)
        {
            var naughty = sample[i];
            // 1. As the e-mail address (and the name): almost always a field message.
            var sent = await users.FillInvitationAsync(naughty, naughty);
            if (await SubmitAsync(users, naughty, "as e-mail"))
            {
                stored[sent.Email.Trim()] = sent.DisplayName.Trim();
                await users.InviteAnotherAsync();
                continue;
            }

            // 2. As the display name of a valid address: stored as typed, or a field message.
            sent = await users.FillInvitationAsync($"blns-{tag}-{i}@example.test", naughty);
            if (await SubmitAsync(users, naughty, "as name"))
            {
                stored[sent.Email.Trim()] = sent.DisplayName.Trim();
                await users.InviteAnotherAsync();
            }
            else
            {
                refused++;
            }
        }

        output.WriteLine($"{stored.Count} invited, {refused} names refused with a field message");
        Assert.Contains(stored.Values, name => name.Contains("<script", StringComparison.OrdinalIgnoreCase)); // markup got through as a name, to be shown
        await Expect(session.Page.Locator("#components-reconnect-modal")).Not.ToBeVisibleAsync();
        await users.CloseDialogAsync();

        // Stored exactly as sent (after trimming), and shown as text: the grid's cells hold the very strings.
        var contexts = app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var emails = stored.Keys.Select(e => e.ToUpperInvariant()).ToList();
            var rows = await db.Users.AsNoTracking().Where(u => emails.Contains(u.NormalizedEmail!)).Select(u => new { u.Email, u.DisplayName }).ToListAsync();
            Assert.Equal(stored.Count, rows.Count);
            Assert.All(rows, r => Assert.Equal(stored[r.Email!], r.DisplayName));
        }

        // A following action still works on the same circuit: the search answers with the invited users.
        await users.SearchAsync($"blns-{tag}-");
        var inGrid = stored.Count(s => s.Key.StartsWith($"blns-{tag}-", StringComparison.OrdinalIgnoreCase));
        await Expect(users.Count).ToHaveAttributeAsync("data-total", inGrid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var shown = await users.Names.EvaluateAllAsync<string[]>("cells => cells.map(c => c.textContent)");
        Assert.Equal(Math.Min(inGrid, 25), shown.Length);
        Assert.All(shown, name => Assert.Contains(name, stored.Values));
        Assert.Equal(0, await session.Page.Locator("#users-grid img, #users-grid script, [onerror], svg[onload]").CountAsync());
        Assert.Equal(0, dialogs);
        await Expect(session.Page.Locator("#components-reconnect-modal")).Not.ToBeVisibleAsync();
        AuditLogTests.AssertNothingFailed(session);
    }

    /// <summary>Submits the filled form: true when the user was invited (result shown), false for field messages.</summary>
    private static async Task<bool> SubmitAsync(UsersPageObject users, string naughty, string how)
    {
        await users.SubmitInvitationAsync();
        if (await users.InviteResult.CountAsync() > 0)
        {
            await Expect(users.InviteLink).ToBeVisibleAsync();
            return true;
        }

        // Never a refusal of the service here (that would mean the form let through what the validator refuses).
        var errors = await users.InviteFieldErrors.AllTextContentsAsync();
        Assert.True(errors.Count > 0 && await users.InviteMessage.CountAsync() == 0,
            $"{how}: neither invited nor a field message for {System.Text.Json.JsonSerializer.Serialize(naughty)}");
        return false;
    }

    /// <summary>An active user with a password and a TOTP key of their own.</summary>
    private async Task<(string Email, string Key, string Id)> SeedAsync(AdminRole role)
    {
        var email = $"e2e-{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, Password, key, role);
        var contexts = app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var normalized = email.ToUpperInvariant();
        var id = await db.Users.Where(u => u.NormalizedEmail == normalized).Select(u => u.Id).SingleAsync();
        return (email, key, id.ToString());
    }

    [GeneratedRegex("/account/signin")]
    private static partial Regex SignInUrl();
}
