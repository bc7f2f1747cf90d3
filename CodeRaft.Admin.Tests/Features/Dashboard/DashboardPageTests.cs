using Bunit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Features.Dashboard;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;

namespace CodeRaft.Admin.Tests.Features.Dashboard;

public sealed class DashboardPageTests : AuditStoreBunitContext
{
    [Fact]
    public async Task Render_SeededLog_ShowsChainChartsAndRecentProblems()
    {
        var seeded = await SeedAsync(
            Event("auth", "auth.signin"),
            Event("auth", "auth.signin", AuditVocabulary.Denied, targetId: "u-7"),
            Event("apikeys", "apikey.used", AuditVocabulary.Failure));
        var checkpoint = await Writer.WriteCheckpointAsync();
        var head = seeded[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var page = Render<DashboardPage>();

        page.WaitForAssertion(() => Assert.Equal(head, page.Find("#dashboard-head").TextContent));
        Assert.Equal("Key ring unlocked", page.Find("#keyring-state").TextContent);
        Assert.Contains($"Last signed checkpoint {checkpoint.Timestamp} (sequence {head})", page.Find("#dashboard-checkpoint").TextContent, StringComparison.Ordinal);
        Assert.Equal(head, page.Find("[data-total]").GetAttribute("data-total"));
        Assert.Equal("1", page.Find("[data-outcome=denied]").GetAttribute("data-count"));
        Assert.Equal("1", page.Find("[data-outcome=failure]").GetAttribute("data-count"));
        Assert.NotEmpty(page.FindAll("#dashboard-per-hour svg"));
        Assert.NotEmpty(page.FindAll("#dashboard-outcomes svg"));
        Assert.Equal(
            [seeded[2].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), seeded[1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            page.FindAll("[data-problem]").Select(r => r.GetAttribute("data-problem")));
        Assert.Equal($"audit?seq={seeded[1].Sequence}", page.Find($"[data-problem=\"{seeded[1].Sequence}\"] a").GetAttribute("href"));
        Assert.Equal("never", page.Find("[data-verified]").GetAttribute("data-verified"));
        Assert.Contains("Not verified since start", page.Find("#dashboard-verification").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AfterVerification_ShowsTheLastResult()
    {
        var seeded = await SeedAsync(Event("auth", "auth.signin"));
        await Store.Get<AuditVerifier>().VerifyAsync();

        var page = Render<DashboardPage>();

        Assert.Equal("intact", page.Find("[data-verified]").GetAttribute("data-verified"));
        Assert.Contains($"{seeded[0].Sequence} entr", page.Find("#dashboard-verification").TextContent, StringComparison.Ordinal);
        Assert.Contains(seeded[0].Hash[..16], page.Find("#dashboard-verification").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_NaughtyProblem_ShowsItAsText()
    {
        const string naughty = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        await SeedAsync(Event("auth", "auth.signin", AuditVocabulary.Denied, targetId: naughty, actorName: "\"><svg onload=alert(3)>"));

        var page = Render<DashboardPage>();

        page.WaitForAssertion(() => Assert.Contains(naughty, page.Find("#dashboard-recent-problems").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("script"));
        Assert.Empty(page.FindAll("img"));
        Assert.Empty(page.FindAll("[onload]"));
    }

    [Fact]
    public void Render_NoProblemsNoCheckpoint_SaysSo()
    {
        var page = Render<DashboardPage>();

        page.WaitForAssertion(() => Assert.Equal("None recorded.", page.Find("#dashboard-no-problems").TextContent));
        Assert.Contains("No signed checkpoint yet.", page.Find("#dashboard-checkpoint").TextContent, StringComparison.Ordinal);
    }
}
