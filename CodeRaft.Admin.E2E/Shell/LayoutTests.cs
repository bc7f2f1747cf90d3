using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Shell;

[Collection(E2ECollection.Name)]
public sealed class LayoutTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    /// <summary>Screenshots for a person to look at: bin/{Configuration}/net10.0/artifacts/.</summary>
    private static readonly string _artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(768, 1024)]
    public async Task Dashboard_AtViewport_ContentClearOfAppBarAndNavigationReachable(int width, int height)
    {
        await using var session = await browser.NewSessionAsync(app, width, height);
        var shell = new ShellPage(session.Page);
        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        await SaveScreenshotAsync(session.Page, $"dashboard-{width}.png");
        var appBar = await BoxAsync(shell.AppBar);
        var heading = await BoxAsync(shell.Heading);
        Assert.True(heading.Y >= appBar.Y + appBar.Height, $"h1 at y={heading.Y} is under the app bar (bottom {appBar.Y + appBar.Height})");
        if (!shell.IsNarrow)
        {
            var drawer = await BoxAsync(shell.NavDrawer);
            Assert.True(heading.X >= drawer.X + drawer.Width, $"h1 at x={heading.X} is under the drawer (right edge {drawer.X + drawer.Width})");
        }
        else
        {
            Assert.True(heading.X is >= 0 and < 64, $"h1 at x={heading.X}: the content should use the full width while the drawer is closed");
        }

        await shell.OpenNavigationAsync();

        await Expect(shell.NavLink("/account")).ToBeInViewportAsync();
        await Expect(shell.NavLink("/settings/licenses")).ToBeInViewportAsync();
        if (shell.IsNarrow)
        {
            await SaveScreenshotAsync(session.Page, $"dashboard-{width}-navigation.png");
        }
    }

    [Fact]
    public async Task ReconnectModal_WhileConnected_HasItsScopedStyles()
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);
        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        // ReconnectModal.razor.css hides the retry button and the failure texts until Blazor marks a state;
        // without the scoped-CSS bundle every message would show at once when the connection drops.
        // Stylesheets load before the circuit starts, so there is nothing to wait for: fail fast.
        var now = new LocatorAssertionsToHaveCSSOptions { Timeout = 1_000 };
        await Expect(session.Page.Locator("#components-reconnect-button")).ToHaveCSSAsync("display", "none", now);
        await Expect(session.Page.Locator("#components-reconnect-modal")).ToHaveCSSAsync("border-radius", "8px", now);
    }

    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator) =>
        await locator.BoundingBoxAsync() ?? throw new InvalidOperationException($"{locator} is not rendered.");

    private async Task SaveScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(_artifacts);
        var path = Path.Combine(_artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"Screenshot: {path}");
    }
}
