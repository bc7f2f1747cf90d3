using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Shell;

[Collection(E2ECollection.Name)]
public sealed class ThemeTests(AdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task ToggleTheme_ThenReload_StaysDark()
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);
        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();
        Assert.Equal("light", await shell.CurrentThemeAsync());
        var lightBackground = await shell.BackgroundColorAsync();
        Assert.NotEqual("rgba(0, 0, 0, 0)", lightBackground); // compare a painted background, not a transparent one

        await shell.ToggleThemeAsync();

        Assert.Equal("dark", await shell.CurrentThemeAsync());
        await Expect(shell.Body).Not.ToHaveCSSAsync("background-color", lightBackground);

        // The cookie is written by the page's script right after the switch: on a busy runner a moment later.
        var stored = await shell.StoredThemeAsync();
        for (var wait = 0; stored != "dark" && wait < 50; wait++)
        {
            await Task.Delay(100);
            stored = await shell.StoredThemeAsync();
        }

        Assert.Equal("dark", stored);

        // The cookie is read while prerendering: the very first HTML is already dark (no light flash) ...
        // (the browser context's own request API: same session and theme cookies, no page script involved).
        var response = await session.Context.APIRequest.GetAsync(app.BaseAddress.ToString());
        Assert.Contains("data-theme=\"dark\"", await response.TextAsync(), StringComparison.Ordinal);

        // ... and the circuit keeps it after a reload.
        await shell.ReloadAsync();
        await shell.WaitForInteractiveAsync();
        await Expect(shell.ReadyMarker).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(shell.Body).Not.ToHaveCSSAsync("background-color", lightBackground);
    }

    [Fact]
    public async Task FreshBrowserContext_FirstVisit_StartsLight()
    {
        // A different context from the test above: it has no theme cookie.
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        Assert.Null(await shell.StoredThemeAsync());
        Assert.Equal("light", await shell.CurrentThemeAsync());
    }
}
