using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Shell;

[Collection(E2ECollection.Name)]
public sealed class NavigationTests(AdminAppFixture app, BrowserFixture browser)
{
    [Theory]
    [InlineData(1280, 800)]
    [InlineData(768, 1024)]
    public async Task NavigateViaMenu_EveryEntry_OpensItsPageWithoutErrors(int width, int height)
    {
        await using var session = await browser.NewSessionAsync(app, width, height);
        var shell = new ShellPage(session.Page);
        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        // The drawer offers exactly the contract's routes.
        var offered = await shell.NavLinks.EvaluateAllAsync<string[]>("links => links.map(l => l.dataset.nav)");
        Assert.Equal(AdminRoutes.All.Select(r => r.Href).Order(StringComparer.Ordinal), offered.Order(StringComparer.Ordinal));

        // We start on the dashboard, so visit it last to make it a real navigation too.
        foreach (var (href, heading) in AdminRoutes.All.Skip(1).Append(AdminRoutes.All[0]))
        {
            await shell.NavigateViaMenuAsync(href);

            await Expect(session.Page).ToHaveURLAsync(new Uri(app.BaseAddress, href).AbsoluteUri);
            await Expect(shell.Heading).ToHaveTextAsync(heading);
            await Expect(session.Page).ToHaveTitleAsync($"{heading} · CodeRaft Admin");
            if (AdminRoutes.Built.Contains(href))
            {
                await Expect(shell.ComingSoon).ToHaveCountAsync(0);
            }
            else
            {
                await Expect(shell.ComingSoon).ToBeVisibleAsync();
            }
        }

        var failed = session.FailedResponses();
        Assert.True(failed.Count == 0, "Failed responses:\n" + string.Join('\n', failed));
        Assert.True(session.ConsoleErrors.Count == 0, "Console errors:\n" + string.Join('\n', session.ConsoleErrors));
        Assert.True(session.PageErrors.Count == 0, "Page errors:\n" + string.Join('\n', session.PageErrors));
    }
}
