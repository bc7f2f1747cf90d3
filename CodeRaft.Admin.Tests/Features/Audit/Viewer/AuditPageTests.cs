using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Audit.Viewer;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using AuditLogPage = CodeRaft.Admin.Features.Audit.AuditPage;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

public sealed class AuditPageTests : AuditStoreBunitContext
{
    /// <summary>Inputs an attacker might put into filters or entries: markup, SQL, LIKE wildcards, odd Unicode (a few from blns).</summary>
    public static TheoryData<string> NaughtyStrings { get; } = new()
    {
        "<script>alert(1)</script>' OR 1=1 --",
        "<img src=x onerror=alert(1)>",
        "'; DROP TABLE audit_entries; --",
        "%",
        "_",
        "\\",
        "{{7*7}}${7*7}",
        "../../../../../etc/passwd",
        "\u202eRTL override",
        "𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐",
        "田中さんにあげて下さい",
        "\"><svg/onload=alert(1)>",
    };

    [Fact]
    public async Task Render_SeededLog_ShowsNewestFirstAndHeadSequence()
    {
        var seeded = await SeedAsync([.. Enumerable.Range(1, 5).Select(i => Event("users", "user.created"))]);

        var page = Render<AuditLogPage>();

        page.WaitForAssertion(() => Assert.Equal(Seq(seeded.Reverse()), Sequences(page).Take(5)));
        Assert.Equal(Seq(seeded[^1]), page.Find("#audit-head b").TextContent);
    }

    [Fact]
    public async Task ApplyFilter_Category_ShowsOnlyThatCategory()
    {
        var seeded = await SeedAsync(Event("users", "user.created"), Event("apikeys", "apikey.created"), Event("users", "user.disabled"), Event("system", "system.started"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[^1]), Sequences(page)[0]));

        page.Find("#audit-filter-category").Change("users");
        await ApplyAsync(page);

        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[2], seeded[0]), Sequences(page)));
        Assert.All(page.FindAll("[data-col=category]"), c => Assert.Equal("users", c.TextContent));
    }

    [Fact]
    public async Task ApplyFilter_OutcomeDenied_ShowsOnlyDeniedRows()
    {
        var seeded = await SeedAsync(
            Event("auth", "auth.signin"),
            Event("auth", "auth.signin", AuditVocabulary.Denied),
            Event("apikeys", "apikey.used", AuditVocabulary.Failure),
            Event("auth", "stepup.failed", AuditVocabulary.Denied));
        var (host, page) = RenderWithPopovers();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[^1]), Sequences(page)[0]));

        Select(host, "audit-filter-outcome", "denied");
        await ApplyAsync(page);

        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[3], seeded[1]), Sequences(page)));
        Assert.All(page.FindAll("[data-col=outcome]"), c => Assert.Equal("denied", c.TextContent.Trim()));
    }

    [Fact]
    public async Task Link_OutcomeAndActionInQuery_FiltersTheGrid()
    {
        var seeded = await SeedAsync(
            Event("auth", "auth.signin", AuditVocabulary.Denied),
            Event("apikeys", "apikey.created", AuditVocabulary.Denied),
            Event("apikeys", "apikey.revoked"));
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?outcome=denied&action=apikey.");

        var page = Render<AuditLogPage>();

        page.WaitForAssertion(() => Assert.Equal([Seq(seeded[1])], Sequences(page)));
    }

    [Fact]
    public async Task Link_InvalidOutcomeOrSequence_ExplainsAndQueriesNothing()
    {
        await SeedAsync(Event("auth", "auth.signin"));
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?outcome=%3Cb%3Eall%3C%2Fb%3E&seq=abc");

        var page = Render<AuditLogPage>();

        var alert = page.WaitForElement("#audit-link-errors");
        Assert.Contains("Outcome must be success, failure or denied.", alert.TextContent, StringComparison.Ordinal);
        Assert.Contains("seq must be a sequence number", alert.TextContent, StringComparison.Ordinal);
        Assert.Empty(Sequences(page));
    }

    [Fact]
    public async Task Link_Sequence_JumpsToItAndOpensIt()
    {
        var seeded = await SeedAsync([.. Enumerable.Range(1, 30).Select(_ => Event("users", "user.created"))]);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/audit?seq={Seq(seeded[6])}");

        var page = Render<AuditLogPage>();

        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[6]), Sequences(page)[0]));
        Assert.Equal(seeded[6].Hash, Field(page, "hash"));
    }

    [Fact]
    public async Task OpenEntry_Clicked_DrawerShowsEveryFieldWithHashes()
    {
        var seeded = await SeedAsync(
            Event("users", "user.created", targetId: "u-42", actorName: "Ada"),
            Event("users", "user.disabled", targetId: "u-42", actorName: "Ada") with
            {
                SourceIp = "192.0.2.7",
                Details = AuditDetails.Of(("reason", "left the company"), ("tickets", new[] { 1, 2 })),
            },
            Event("system", "system.started"));
        var entry = seeded[1];
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[^1]), Sequences(page)[0]));

        page.Find($"[data-open=\"{entry.Sequence}\"]").Click();

        var details = page.WaitForElement("#audit-entry-details");
        Assert.Equal(entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), details.GetAttribute("data-sequence"));
        Assert.Equal(entry.Hash, Field(page, "hash"));
        Assert.Equal(entry.PreviousHash, Field(page, "previous_hash"));
        Assert.Equal(seeded[0].Hash, entry.PreviousHash);
        Assert.Equal(entry.Timestamp, Field(page, "timestamp"));
        Assert.Equal("192.0.2.7", Field(page, "source_ip"));
        Assert.Equal("u-42", Field(page, "target_id"));
        Assert.Equal("Ada", Field(page, "actor_name"));
        string[] columns = [.. AuditExporter.EntryColumns.Where(c => c != "details")];
        Assert.Equal(columns, page.FindAll("#audit-entry-details tr[data-field]").Select(r => r.GetAttribute("data-field")));
        Assert.Equal(2, page.FindAll("[data-copy]").Count);

        // The details JSON, indented.
        var json = page.Find("pre[data-field=details]").TextContent;
        Assert.Contains("\n  \"reason\": \"left the company\"", json, StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.Nodes.JsonNode.Parse(entry.Details)!.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(json)!.ToJsonString());
    }

    [Fact]
    public async Task CopyHash_Clicked_WritesTheHashToTheClipboard()
    {
        var seeded = await SeedAsync(Event("users", "user.created"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[0]), Sequences(page)[0]));
        page.Find($"[data-open=\"{Seq(seeded[0])}\"]").Click();

        page.WaitForElement("[data-copy=hash]").Click();

        Assert.Equal(seeded[0].Hash, JSInterop.Invocations["navigator.clipboard.writeText"].Single().Arguments.Single());
    }

    [Theory]
    [MemberData(nameof(NaughtyStrings))]
    public async Task Filter_NaughtyString_RendersEscapedAndMatchesLiterally(string naughty)
    {
        // One entry carries the string (target and details), the other does not.
        var seeded = await SeedAsync(
            Event("users", "user.created", targetId: "plain"),
            Event("users", "user.renamed", targetId: naughty) with { Details = AuditDetails.Of(("name", naughty)) });
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[1]), Sequences(page)[0]));

        // In every text filter at once: no entry has that category, so nothing matches, and nothing breaks.
        foreach (var field in new[] { "category", "action", "actor", "target", "text" })
        {
            page.Find($"#audit-filter-{field}").Change(naughty);
        }

        await ApplyAsync(page);
        page.WaitForAssertion(() => Assert.Empty(Sequences(page)));
        Assert.Empty(page.FindAll("#audit-error"));

        // As free text (within the seeded category): matched literally, so a LIKE wildcard matches only itself.
        page.Find("#audit-filter-category").Change("users");
        foreach (var field in new[] { "action", "actor", "target" })
        {
            page.Find($"#audit-filter-{field}").Change("");
        }

        await ApplyAsync(page);
        page.WaitForAssertion(() => Assert.Equal([Seq(seeded[1])], Sequences(page)));
        page.Find($"[data-open=\"{Seq(seeded[1])}\"]").Click();
        Assert.Equal(naughty, Field(page, "target_id"));
        Assert.Contains(naughty, page.Find("pre[data-field=details]").TextContent, StringComparison.Ordinal);
        AssertNoInjectedMarkup(page);
        if (naughty.Contains('<', StringComparison.Ordinal))
        {
            Assert.Contains("&lt;", page.Find("pre[data-field=details]").InnerHtml, StringComparison.Ordinal);
            Assert.Contains("&lt;", page.Find("#audit-entry-details tr[data-field=target_id] [data-value]").InnerHtml, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Filter_EveryBlnsString_NeverFailsOrInjectsMarkup()
    {
        var seeded = await SeedAsync(Event("users", "user.created"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[0]), Sequences(page)[0]));
        var strings = BigListOfNaughtyStrings.Load();

        foreach (var naughty in strings)
        {
            page.Find("#audit-filter-text").Change(naughty);
            page.Find("#audit-filter-target").Change(naughty);
            await ApplyAsync(page);

            Assert.Empty(page.FindAll("#audit-error"));
            AssertNoInjectedMarkup(page);
        }

        Assert.True(strings.Count >= BigListOfNaughtyStrings.Sample.Length, $"only {strings.Count} strings were tried");
    }

    [Fact]
    public async Task Paging_OlderThenNewer_MovesOnePageEachWay()
    {
        // 60 entries plus what the store wrote when it was created: three pages of 25, the last one short.
        var seeded = await SeedAsync([.. Enumerable.Range(1, 60).Select(_ => Event("users", "user.created"))]);
        var head = seeded[^1].Sequence;
        var (host, page) = RenderWithPopovers();
        page.WaitForAssertion(() => Assert.Equal(50, Sequences(page).Count));
        Select(host, "audit-page-size", "25");
        page.WaitForAssertion(() => Assert.Equal(Range(head, head - 24), Sequences(page)));
        Assert.True(page.Find("#audit-newer").HasAttribute("disabled"));

        page.Find("#audit-older").Click();
        page.WaitForAssertion(() => Assert.Equal(Range(head - 25, head - 49), Sequences(page)));

        page.Find("#audit-older").Click();
        page.WaitForAssertion(() => Assert.Equal(Range(head - 50, 1), Sequences(page)));
        Assert.True(page.Find("#audit-older").HasAttribute("disabled"));

        page.Find("#audit-newer").Click();
        page.WaitForAssertion(() => Assert.Equal(Range(head - 25, head - 49), Sequences(page)));

        page.Find("#audit-newer").Click();
        page.WaitForAssertion(() => Assert.Equal(Range(head, head - 24), Sequences(page)));
        Assert.True(page.Find("#audit-newer").HasAttribute("disabled"));
    }

    [Fact]
    public async Task JumpToSequence_Entered_ShowsThatEntryFirst()
    {
        var seeded = await SeedAsync([.. Enumerable.Range(1, 120).Select(_ => Event("users", "user.created"))]);
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[^1]), Sequences(page)[0]));

        page.Find("#audit-jump").Change("42");
        page.Find("#audit-jump-go").Click();

        page.WaitForAssertion(() => Assert.Equal("42", Sequences(page)[0]));
        Assert.Equal(Seq(seeded[^1]), page.Find("#audit-head b").TextContent);
        Assert.Equal("42", page.Find("#audit-entry-details").GetAttribute("data-sequence"));
    }

    [Fact]
    public async Task ApplyFilter_ToBeforeFrom_ShowsMessageAndKeepsThePage()
    {
        var seeded = await SeedAsync(Event("users", "user.created"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[0]), Sequences(page)[0]));
        var shown = Sequences(page);

        page.Find("#audit-filter-from").Change("2026-03-02T10:00");
        page.Find("#audit-filter-to").Change("2026-03-01T10:00");
        await ApplyAsync(page);

        page.WaitForAssertion(() => Assert.Contains("To must not be before From.", page.Markup, StringComparison.Ordinal));
        Assert.Equal(shown, Sequences(page));
    }

    [Fact]
    public async Task ApplyFilter_HugeTimeRange_ShowsEverything()
    {
        var seeded = await SeedAsync(Event("users", "user.created"), Event("users", "user.renamed"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[1]), Sequences(page)[0]));

        page.Find("#audit-filter-from").Change("0001-01-01T00:00");
        page.Find("#audit-filter-to").Change("9999-12-31T23:59");
        page.Find("#audit-filter-category").Change("users");
        await ApplyAsync(page);

        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[1], seeded[0]), Sequences(page)));
        Assert.Empty(page.FindAll("#audit-error"));
    }

    [Fact]
    public async Task VerifyIntegrity_IntactLog_SaysIntactWithCountAndHead()
    {
        var seeded = await SeedAsync([.. Enumerable.Range(1, 3).Select(_ => Event("users", "user.created"))]);
        var page = Render<AuditLogPage>();

        page.Find("#audit-verify").Click();

        var result = page.WaitForElement("#audit-verify-result[data-verify]", TimeSpan.FromSeconds(10));
        Assert.Equal("intact", result.GetAttribute("data-verify"));
        Assert.Contains($"Intact: {Seq(seeded[^1])} entries, head", result.TextContent, StringComparison.Ordinal);
        Assert.Equal(seeded[^1].Hash, page.Find("[data-verify-head]").TextContent);
    }

    [Fact]
    public async Task VerifyIntegrity_ModifiedEntry_SaysWhereTamperingIs()
    {
        var seeded = await SeedAsync([.. Enumerable.Range(1, 4).Select(_ => Event("users", "user.created"))]);
        var victim = seeded[1].Sequence;
        // What an attacker with database access would do: lift the append-only trigger and rewrite an entry.
        await using (var db = await Store.Contexts.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER audit_entries_no_update");
            await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET action = 'user.deleted' WHERE sequence = {victim}");
        }

        var page = Render<AuditLogPage>();
        page.Find("#audit-verify").Click();

        var result = page.WaitForElement("#audit-verify-result[data-verify]", TimeSpan.FromSeconds(10));
        Assert.Equal("tampered", result.GetAttribute("data-verify"));
        Assert.Contains($"Tampering detected at sequence {victim}:", result.TextContent, StringComparison.Ordinal);
        Assert.Contains("modified", result.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Clicked_IssuesTicketForTheAppliedFilterAndNavigatesToIt()
    {
        var seeded = await SeedAsync(Event("users", "user.created"));
        var page = Render<AuditLogPage>();
        page.WaitForAssertion(() => Assert.Equal(Seq(seeded[0]), Sequences(page)[0]));
        page.Find("#audit-filter-category").Change("users");
        await ApplyAsync(page);

        // Privileged: the export buttons appear only after a valid step-up code.
        page.Find("#audit-export-open").Click();
        Assert.Empty(page.FindAll("#audit-export-csv"));
        page.Find("input[data-stepup-code]").Change(Security.StepUp.StepUpUser.CodeAt(DateTimeOffset.UtcNow));
        page.Find("form[data-stepup-form]").Submit();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("#audit-export-csv")));
        page.Find("#audit-export-csv").Click();

        var navigation = Services.GetRequiredService<NavigationManager>();
        var ticket = navigation.Uri[(navigation.Uri.LastIndexOf('/') + 1)..];
        Assert.StartsWith(navigation.BaseUri + "audit/export/", navigation.Uri, StringComparison.Ordinal);
        var redeemed = Services.GetRequiredService<AuditExportTickets>().Redeem(ticket);
        Assert.NotNull(redeemed);
        Assert.Equal(AuditExportFormat.Csv, redeemed.Format);
        Assert.Equal("users", redeemed.Filter.Category);
    }

    /// <summary>The page next to a popover provider, where MudSelect renders its list.</summary>
    private (IRenderedComponent<IComponent> Host, IRenderedComponent<AuditLogPage> Page) RenderWithPopovers()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudBlazor.MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<AuditLogPage>(1);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<AuditLogPage>());
    }

    /// <summary>Opens the MudSelect whose input has <paramref name="inputId"/> and clicks the item with the given text.</summary>
    private static void Select(IRenderedComponent<IComponent> host, string inputId, string item)
    {
        host.Find($"#{inputId}").Closest(".mud-input-control")!.MouseDown();
        host.WaitForAssertion(() => Assert.Contains(host.FindAll(".mud-popover-open .mud-list-item"), e => e.TextContent.Trim() == item));
        host.FindAll(".mud-popover-open .mud-list-item").First(e => e.TextContent.Trim() == item).Click();
    }

    private static string Seq(CodeRaft.Admin.Features.Audit.AuditEntry entry) => entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static List<string> Seq(params IEnumerable<CodeRaft.Admin.Features.Audit.AuditEntry> entries) => [.. entries.Select(Seq)];

    /// <summary>Sequences from <paramref name="from"/> down to <paramref name="to"/>, as the grid shows them.</summary>
    private static List<string> Range(long from, long to) =>
        [.. Enumerable.Range(0, (int)(from - to + 1)).Select(i => (from - i).ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static async Task ApplyAsync(IRenderedComponent<AuditLogPage> page) =>
        await page.Find("#audit-apply").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

    private static List<string> Sequences(IRenderedComponent<AuditLogPage> page) =>
        [.. page.FindAll("#audit-grid [data-seq]").Select(e => e.TextContent)];

    private static string Field(IRenderedComponent<AuditLogPage> page, string name) =>
        page.Find($"#audit-entry-details tr[data-field=\"{name}\"] [data-value]").TextContent;

    /// <summary>Whatever the text was, it stayed text (or an attribute value): no element or handler came out of it.</summary>
    private static void AssertNoInjectedMarkup(IRenderedComponent<AuditLogPage> page)
    {
        Assert.Empty(page.FindAll("script"));
        Assert.Empty(page.FindAll("img"));
        Assert.Empty(page.FindAll("svg[onload]"));
        Assert.Empty(page.FindAll("[onerror]"));
    }
}
