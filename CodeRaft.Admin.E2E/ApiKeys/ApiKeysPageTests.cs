using System.Net;
using System.Net.Http.Headers;
using CodeRaft.Admin.E2E.Audit;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ApiKeysPageObject = CodeRaft.Admin.E2E.Pages.ApiKeysPage;

namespace CodeRaft.Admin.E2E.ApiKeys;

/// <summary>
/// Issue 6: an API key's life through the console in Chromium — created behind a step-up, shown once, copied to the
/// clipboard, used against the API from the test, revoked in the UI, then refused by the API.
/// </summary>
[Collection(E2ECollection.Name)]
public sealed class ApiKeysPageTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Password = "api keys e2e passphrase";
    private const string RecoveryCode = "k7mq-p3xv-2dre-9tbw";

    [Fact]
    public async Task CreateCopyUseRevoke_TheApiAcceptsTheCopiedKeyThenRefusesItAfterRevocation()
    {
        // Its own Administrator: a TOTP step is accepted once per user, and other tests step up as the Owner.
        var email = $"e2e-apikeys-{Guid.NewGuid():N}@example.test";
        var totpKey = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, Password, totpKey, AdminRole.Administrator, [RecoveryCode]);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = app.BaseAddress.GetLeftPart(UriPartial.Authority) });
        await new SignInPage(session.Page).SignInAsync(email, Password, totpKey);
        var keys = new ApiKeysPageObject(session.Page);
        await keys.GotoAsync();

        // Create: nothing to fill in before the step-up.
        await keys.OpenCreateAsync();
        await Expect(keys.CreateForm).ToHaveCountAsync(0);
        await keys.StepUpAsync(SignInPage.NextCode(totpKey));
        var shown = await keys.CreateAsync("E2E collector", [ApiKeyScopes.AuditRead]);
        Assert.Matches("^crk_[0-9A-Za-z]{49}$", shown);
        await Expect(keys.OnceNotice).ToContainTextAsync("You will not see this again");
        await AuditLogTests.SaveScreenshotAsync(session.Page, "apikeys-created-once.png", output);

        // Copy, and read what the browser put on the clipboard.
        await keys.CopyAsync();
        var copied = await session.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(shown, copied);

        // The API accepts the copied key.
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        using (var accepted = await WhoAmIAsync(client, copied))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Contains(copied[..ApiKeyFormat.IdentifierLength], await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Closed, the key is gone from the page; the list shows it by its identifier only.
        await keys.CloseDialogAsync();
        var identifier = copied[..ApiKeyFormat.IdentifierLength];
        await Expect(keys.StateOf(identifier)).ToHaveAttributeAsync("data-state", "active");
        Assert.DoesNotContain(copied[ApiKeyFormat.Prefix.Length..], await session.Page.ContentAsync(), StringComparison.Ordinal);

        // Revoke, with a step-up of its own (a recovery code: the next TOTP step is already used).
        await keys.OpenRevokeAsync(identifier);
        await Expect(keys.RevokeConfirm).ToHaveCountAsync(0);
        await keys.StepUpWithRecoveryCodeAsync(RecoveryCode);
        await keys.ConfirmRevokeAsync();
        await Expect(keys.RevokeResult).ToHaveAttributeAsync("data-outcome", "Succeeded");
        await keys.CloseDialogAsync();
        await Expect(keys.StateOf(identifier)).ToHaveAttributeAsync("data-state", "revoked");
        await AuditLogTests.SaveScreenshotAsync(session.Page, "apikeys-list.png", output);

        // The same call is now refused, with problem details.
        using (var refused = await WhoAmIAsync(client, copied))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // The key's activity: its two audit entries, newest first, as the Administrator who made them.
        await keys.OpenDetailAsync(identifier);
        await Expect(keys.ActivityActions).ToHaveTextAsync(["apikey.revoked", "apikey.created"]);
        await AuditLogTests.SaveScreenshotAsync(session.Page, "apikeys-detail.png", output);
        // Created through a real circuit, the key is in no file of the portal's data directory (database, -wal, -shm, keys).
        var hashFound = false;
        foreach (var file in Directory.GetFiles(app.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var bytes = new MemoryStream();
            await stream.CopyToAsync(bytes);
            Assert.True(bytes.ToArray().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(copied[ApiKeyFormat.Prefix.Length..])) < 0, $"{file} holds the key.");
            hashFound |= bytes.ToArray().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(ApiKeyFormat.Hash(copied))) >= 0;
        }

        Assert.True(hashFound, "The key's hash was not found: the search does not read the store.");

        AuditLogTests.AssertNothingFailed(session);
    }

    private static Task<HttpResponseMessage> WhoAmIAsync(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client.SendAsync(request);
    }
}
