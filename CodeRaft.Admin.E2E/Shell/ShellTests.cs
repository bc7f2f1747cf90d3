using System.Text.RegularExpressions;
using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Shell;

[Collection(E2ECollection.Name)]
public sealed class ShellTests(AdminAppFixture app, BrowserFixture browser, ITestOutputHelper output)
{
    private const string UnknownRoute = "/does-not-exist";

    [Fact]
    public async Task Portal_Started_RendersInteractiveShell()
    {
        output.WriteLine($"Portal at {app.BaseAddress}: StartServer took {app.StartupTime.TotalMilliseconds:F0} ms, Chromium launch {browser.LaunchTime.TotalMilliseconds:F0} ms.");
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        var response = await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        Assert.Equal(200, response?.Status);
        await Expect(shell.AppBar).ToContainTextAsync("CodeRaft Admin");
        await Expect(shell.NavDrawer).ToBeVisibleAsync();
        await Expect(shell.NavDrawer).ToBeInViewportAsync();
        await Expect(shell.NavLinks).ToHaveCountAsync(AdminRoutes.All.Count);
        await Expect(shell.ReadyMarker).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(shell.Heading).ToHaveTextAsync("Dashboard");
    }

    [Fact]
    public async Task Portal_StartedByFactory_RanStartupInitialization()
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        await shell.GotoAsync(AdminRoutes.Dashboard);
        var ready = await session.Context.APIRequest.GetAsync("/readyz");

        // InitializeAdminAsync ran before Run(): database created in our data directory, key ring unlocked with
        // the configured secret (so no development secret file was generated).
        Assert.True(File.Exists(Path.Combine(app.DataDirectory, AdminSettings.SqliteFileName)), "the SQLite database was not created");
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, MasterSecretProvider.DevelopmentFileName)), "a development master secret was generated although one is configured");
        Assert.Equal(200, ready.Status);
        await Expect(session.Page.Locator("#keyring-state")).ToHaveTextAsync("Key ring unlocked");
    }

    [Fact]
    public async Task Portal_FirstLoad_ServesStylesAndScripts()
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        await shell.GotoAsync(AdminRoutes.Dashboard);
        await shell.WaitForInteractiveAsync();

        string[] assets =
        [
            @"/_content/MudBlazor/MudBlazor\.min\.([a-z0-9]+\.)?css$",
            @"/app\.([a-z0-9]+\.)?css$",
            @"/_framework/blazor\.web\.([a-z0-9]+\.)?js$",
            @"/_content/MudBlazor/MudBlazor\.min\.([a-z0-9]+\.)?js$",
        ];
        var responses = session.Responses;
        foreach (var asset in assets)
        {
            var response = responses.FirstOrDefault(r => Regex.IsMatch(new Uri(r.Url).AbsolutePath, asset));
            Assert.True(response is { Status: 200 }, $"{asset}: {response?.ToString() ?? "never requested"}");
        }

        // MudBlazor's stylesheet is applied, not just downloaded.
        await Expect(shell.AppBar).ToHaveCSSAsync("position", "fixed");
    }

    [Fact]
    public async Task UnknownRoute_Opened_ShowsFriendlyNotFoundPage()
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        var response = await shell.GotoAsync(UnknownRoute);
        await shell.WaitForInteractiveAsync();

        Assert.Equal(404, response?.Status);
        await Expect(shell.Heading).ToHaveTextAsync("Page not found");
        await Expect(shell.NavDrawer).ToBeVisibleAsync();

        // The document's 404 is the point of this test; anything else failing is not.
        bool IsTheNotFoundDocument(ResponseRecord r) => new Uri(r.Url).AbsolutePath == UnknownRoute;
        var failed = session.FailedResponses(IsTheNotFoundDocument);
        Assert.True(failed.Count == 0, "Failed responses:\n" + string.Join('\n', failed));
        // Chromium logs every 4xx as a console error, the document's included.
        var consoleErrors = session.ConsoleErrors
            .Where(e => !(e.Contains("status of 404", StringComparison.Ordinal) && e.Contains(UnknownRoute, StringComparison.Ordinal)))
            .ToList();
        Assert.True(consoleErrors.Count == 0, "Console errors:\n" + string.Join('\n', consoleErrors));
        Assert.True(session.PageErrors.Count == 0, "Page errors:\n" + string.Join('\n', session.PageErrors));
    }

    [Theory]
    [InlineData(AdminRoutes.Dashboard)]
    [InlineData(UnknownRoute)]
    public async Task Document_AsBrowserReceivesIt_CarriesSecurityHeaders(string path)
    {
        await using var session = await browser.NewSessionAsync(app);
        var shell = new ShellPage(session.Page);

        var response = await shell.GotoAsync(path);

        Assert.NotNull(response);
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.NotNull(csp);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", await response.HeaderValueAsync("x-content-type-options"));
    }
}
