using System.Text.Json;
using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Audit;

[Collection(E2ECollection.Name)]
public sealed partial class AuditLogTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string _artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");

    [Fact]
    public async Task FilterOpenVerify_SystemCategory_ShowsHashesAndIntact()
    {
        await using var session = await browser.NewSessionAsync(app);
        var audit = new AuditLogPage(session.Page);
        await audit.GotoAsync();

        // The portal writes system.started when it starts, so the category is never empty.
        await audit.FilterByCategoryAsync("system");
        var categories = await audit.RowCategories.AllInnerTextsAsync();
        Assert.NotEmpty(categories);
        Assert.All(categories, c => Assert.Equal("system", c));

        await audit.OpenEntryAsync(0);
        await Expect(audit.Field("hash")).ToHaveTextAsync(Sha256Hex());
        await Expect(audit.Field("previous_hash")).ToHaveTextAsync(Sha256Hex());
        await Expect(audit.Field("category")).ToHaveTextAsync("system");
        await Expect(audit.DetailsJson).ToContainTextAsync("{");
        await SaveScreenshotAsync(session.Page, "audit-1280-drawer.png");
        await audit.CloseEntryAsync();

        await audit.VerifyIntegrityAsync();
        await Expect(audit.VerifyResult).ToHaveAttributeAsync("data-verify", "intact");
        await Expect(audit.VerifyResult).ToContainTextAsync("Intact:");
        await SaveScreenshotAsync(session.Page, "audit-1280-verified.png");

        AssertNothingFailed(session);
    }

    [Fact]
    public async Task Export_Jsonl_DownloadsParseableLinesAndPageStaysLive()
    {
        await using var session = await browser.NewSessionAsync(app);
        var audit = new AuditLogPage(session.Page);
        await audit.GotoAsync();
        await audit.FilterByCategoryAsync("system");

        // Privileged: the challenge shows, not the export, until a valid code. A wrong code is refused; a fresh
        // one (the next time step — the sign-in used the current one) unlocks it.
        await audit.OpenExportAsync();
        await Expect(audit.StepUpChallenge).ToBeVisibleAsync();
        await Expect(audit.ExportButton("jsonl")).ToHaveCountAsync(0);
        await audit.SubmitStepUpCodeAsync("000000");
        await Expect(audit.StepUpMessage).ToBeVisibleAsync();
        await Expect(audit.ExportButton("jsonl")).ToHaveCountAsync(0);
        await audit.SubmitStepUpCodeAsync(NextCode(app.OwnerTotpKey));
        var download = await audit.ExportAsync("jsonl");

        Assert.Matches(@"^coderaft-audit-\d{8}T\d{6}Z\.jsonl$", download.SuggestedFilename);
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path)).Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("system", json.RootElement.GetProperty("category").GetString());
            Assert.Equal(15, json.RootElement.EnumerateObject().Count());
        }

        // The download did not unload the page: the same circuit still answers clicks.
        await audit.OpenEntryAsync(0);
        await Expect(audit.Field("hash")).ToHaveTextAsync(Sha256Hex());
        await Expect(session.Page.Locator("#components-reconnect-modal")).Not.ToBeVisibleAsync();
        AssertNothingFailed(session);
    }

    [Fact]
    public async Task Export_StepUpWithTheCodeUsedToSignIn_RefusedAsReplay()
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.test";
        var key = CodeRaft.Admin.Security.Totp.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await app.SeedUserAsync(email, "step up replay passphrase", key, Admin.Features.Users.AdminRole.Auditor);
        await using var session = await browser.NewSessionAsync(app.BaseAddress);
        var signIn = new SignInPage(session.Page);
        await signIn.OpenAsync();
        await signIn.SubmitPasswordAsync(email, "step up replay passphrase");
        var code = SignInPage.CurrentCode(key);
        await signIn.SubmitCodeAsync(code);
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Dashboard");
        var audit = new AuditLogPage(session.Page);
        await audit.GotoAsync();
        await audit.FilterByCategoryAsync("system");

        await audit.OpenExportAsync();
        await audit.SubmitStepUpCodeAsync(code);

        await Expect(audit.StepUpMessage).ToContainTextAsync("already used");
        await Expect(audit.ExportButton("jsonl")).ToHaveCountAsync(0);
    }

    /// <summary>The code of the next time step: accepted now (±1 step) and newer than any code used so far.</summary>
    private static string NextCode(string key) => CodeRaft.Admin.Security.Totp.Totp.Hotp(
        CodeRaft.Admin.Security.Totp.Base32.Decode(key)!, CodeRaft.Admin.Security.Totp.Totp.StepAt(DateTimeOffset.UtcNow) + 1);

    [Fact]
    public async Task Link_NaughtyQuery_ExplainsAndStaysLive()
    {
        await using var session = await browser.NewSessionAsync(app);
        var dialogs = 0;
        session.Page.Dialog += (_, _) => Interlocked.Increment(ref dialogs);
        var audit = new AuditLogPage(session.Page);
        const string naughty = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";

        await session.Page.GotoAsync($"{AuditLogPage.Path}?category={naughty}&q={naughty}&from={naughty}&seq=-1");
        await audit.Shell.WaitForInteractiveAsync();

        await Expect(session.Page.Locator("#audit-link-errors")).ToContainTextAsync("From must be a UTC date and time");
        await Expect(session.Page.Locator("#audit-link-errors")).ToContainTextAsync("seq must be a sequence number");
        await Expect(session.Page.Locator("#audit-filter-category")).ToHaveValueAsync("");

        // The page still works: applying the (now empty) filter lists the log.
        await audit.ApplyFilterAsync();
        await Expect(audit.RowSequences.First).ToBeVisibleAsync();
        Assert.Equal(0, dialogs);
        Assert.Equal(0, await session.Page.Locator("#audit-grid img").CountAsync());
        AssertNothingFailed(session);
    }

    internal static void AssertNothingFailed(BrowserSession session)
    {
        var failed = session.FailedResponses();
        Assert.True(failed.Count == 0, "Failed responses:\n" + string.Join('\n', failed));
        Assert.True(session.ConsoleErrors.Count == 0, "Console errors:\n" + string.Join('\n', session.ConsoleErrors));
        Assert.True(session.PageErrors.Count == 0, "Page errors:\n" + string.Join('\n', session.PageErrors));
    }

    private Task SaveScreenshotAsync(IPage page, string name) => SaveScreenshotAsync(page, name, output);

    /// <summary>Screenshots for a person to look at: bin/{Configuration}/net10.0/artifacts/.</summary>
    internal static async Task SaveScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        Directory.CreateDirectory(_artifacts);
        var path = Path.Combine(_artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        output.WriteLine($"Screenshot: {path}");
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();
}
