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
