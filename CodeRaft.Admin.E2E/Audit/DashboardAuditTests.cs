using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Audit.Chain;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Audit;

/// <summary>The dashboard's audit statistics, and its links into the audit log.</summary>
[Collection(E2ECollection.Name)]
public sealed class DashboardAuditTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Naughty = "<img src=x onerror=alert(1)>' OR 1=1 --";

    [Fact]
    public async Task Dashboard_AfterVerification_ShowsChartsChainAndLastResult()
    {
        await using var session = await browser.NewSessionAsync(app);
        var dialogs = 0;
        session.Page.Dialog += (_, dialog) => Interlocked.Increment(ref dialogs);
        var seeded = await app.Services.GetRequiredService<AuditWriter>().AppendBatchAsync(
        [
            new AuditEvent { Category = "auth", Action = "auth.signin", Outcome = AuditVocabulary.Denied, Actor = AuditActor.Anonymous, SourceIp = "192.0.2.10" },
            new AuditEvent { Category = "apikeys", Action = "apikey.used", Outcome = AuditVocabulary.Failure, TargetType = "apikey", TargetId = Naughty },
            new AuditEvent { Category = "auth", Action = "stepup.failed", Outcome = AuditVocabulary.Denied, Actor = AuditActor.User("u-1", "Ada") },
        ]);
        var audit = new AuditLogPage(session.Page);
        await audit.GotoAsync();
        await audit.VerifyIntegrityAsync();
        await Expect(audit.VerifyResult).ToHaveAttributeAsync("data-verify", "intact");

        var dashboard = new DashboardPage(session.Page);
        await audit.Shell.NavigateViaMenuAsync("/");
        await Expect(dashboard.HeadSequence).ToHaveTextAsync(new Regex(@"^\d"));
        await Expect(dashboard.LastCheckpoint).ToContainTextAsync("Last signed checkpoint");
        await Expect(dashboard.Verification).ToHaveAttributeAsync("data-verified", "intact");
        await Expect(dashboard.PerHourChart.First).ToBeVisibleAsync();
        await Expect(dashboard.OutcomeCount("success")).Not.ToHaveAttributeAsync("data-count", "0");
        await Expect(dashboard.OutcomeCount("denied")).Not.ToHaveAttributeAsync("data-count", "0");
        await Expect(dashboard.RecentProblems).ToContainTextAsync(Naughty);
        await AuditLogTests.SaveScreenshotAsync(session.Page, "dashboard-1280-statistics.png", output);

        // A recent problem links to its entry in the audit log.
        await dashboard.Problem(seeded[1].Sequence).GetByRole(Microsoft.Playwright.AriaRole.Link).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new Regex($@"/audit\?seq={seeded[1].Sequence}$"));
        await Expect(audit.EntryDetails).ToHaveAttributeAsync("data-sequence", seeded[1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(audit.Field("target_id")).ToHaveTextAsync(Naughty);

        Assert.Equal(0, dialogs);
        AuditLogTests.AssertNothingFailed(session);
    }

    [Fact]
    public async Task Dashboard_AllDenied_OpensTheAuditLogFiltered()
    {
        await using var session = await browser.NewSessionAsync(app);
        var dashboard = new DashboardPage(session.Page);
        await dashboard.GotoAsync();

        await dashboard.RecentProblems.GetByText("All denied").ClickAsync();

        await Expect(session.Page).ToHaveURLAsync(new Regex(@"/audit\?outcome=denied$"));
        await Expect(session.Page.Locator("#audit-filter-outcome")).ToHaveValueAsync("denied");
        var audit = new AuditLogPage(session.Page);
        await Expect(audit.Results).Not.ToHaveAttributeAsync("data-load", "0");
        await Expect(audit.Results).ToHaveAttributeAsync("data-loading", "false");
        foreach (var outcome in await audit.Page.Locator("#audit-grid [data-col=outcome]").AllInnerTextsAsync())
        {
            Assert.Equal("denied", outcome.Trim());
        }

        AuditLogTests.AssertNothingFailed(session);
    }
}
