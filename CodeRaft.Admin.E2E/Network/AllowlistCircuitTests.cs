using CodeRaft.Admin.E2E.Fixtures;
using CodeRaft.Admin.E2E.Pages;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Users;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Network;

/// <summary>
/// An allowlist change reaches sessions that are already open: the circuit of a browser whose address the new
/// console list excludes ends at once (not at its next page load), its reconnect is refused, and a reload shows
/// the plain 403 page. The Network page's own editing is covered through the proxy (ProxyTests).
/// </summary>
[Collection(E2ECollection.Name)]
public sealed class AllowlistCircuitTests(AdminAppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task UiListExcludingTheBrowser_OpenCircuitEndsAndReloadGets403()
    {
        await using var session = await browser.NewSessionAsync(app);
        await session.Page.GotoAsync("audit");
        await new ShellPage(session.Page).WaitForInteractiveAsync();
        await Expect(session.Page.Locator("#components-reconnect-modal")).Not.ToBeVisibleAsync();
        var core = app.Services.GetRequiredService<NetworkAllowlistCore>();
        try
        {
            // As another administrator (or the CLI) would: a console list without 127.0.0.1.
            var result = await core.ReplaceAsync(UserOperator.HostCli, AllowlistScope.Ui, [new AllowlistEntryInput { Cidr = "198.51.100.0/24" }]);
            Assert.True(result.Succeeded, result.Message);

            // The circuit is cut and cannot come back: Blazor's reconnect dialog appears and its attempts fail.
            await Expect(session.Page.Locator("#components-reconnect-modal")).ToBeVisibleAsync();
            await session.Page.ReloadAsync();
            await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Access from this address is not allowed");
            await Expect(session.Page.Locator("body")).ToContainTextAsync("127.0.0.1");
        }
        finally
        {
            await app.ResetAllowlistsAsync();
        }

        // Cleared again: the same browser gets the console back.
        await session.Page.GotoAsync("audit");
        await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Audit log");
    }
}
