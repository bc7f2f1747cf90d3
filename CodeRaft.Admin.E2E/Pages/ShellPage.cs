using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// The console's shell (app bar, navigation drawer, theme switch) as a user drives it: one method per action.
/// Selectors are the ids and data attributes MainLayout and NavMenu render for tests.
/// </summary>
public sealed partial class ShellPage(IPage page)
{
    /// <summary>MudBlazor's Md breakpoint: below it the responsive drawer is a temporary overlay, closed by default.</summary>
    public const int DrawerBreakpointPx = 960;

    public IPage Page { get; } = page;

    public ILocator AppBar => Page.Locator("header.mud-appbar");

    public ILocator NavDrawer => Page.Locator("#nav-drawer");

    public ILocator NavToggle => Page.Locator("#nav-toggle");

    public ILocator ThemeToggle => Page.Locator("#theme-toggle");

    public ILocator Heading => Page.Locator("h1");

    public ILocator ComingSoon => Page.Locator("[data-coming-soon]");

    public ILocator ReadyMarker => Page.Locator("#app-ready");

    /// <summary>All navigation entries, in drawer order.</summary>
    public ILocator NavLinks => NavDrawer.Locator("[data-nav]");

    /// <summary>True below the drawer breakpoint, where the drawer covers the content and closes after a click.</summary>
    public bool IsNarrow => (Page.ViewportSize?.Width ?? int.MaxValue) < DrawerBreakpointPx;

    public ILocator NavLink(string href) => NavDrawer.Locator($"[data-nav=\"{href}\"]");

    /// <summary>Opens <paramref name="path"/> (relative to the portal) and returns the document's response.</summary>
    public Task<IResponse?> GotoAsync(string path) => Page.GotoAsync(path);

    public Task<IResponse?> ReloadAsync() => Page.ReloadAsync();

    /// <summary>
    /// Waits until the circuit runs (clicks before that hit prerendered markup and do nothing) and the drawer has
    /// taken its default state for this width: MudBlazor closes a responsive drawer only after it has measured
    /// the viewport, a moment after the circuit starts.
    /// </summary>
    public async Task WaitForInteractiveAsync()
    {
        await Expect(ReadyMarker).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(NavDrawer).ToHaveClassAsync(IsNarrow ? DrawerClosed() : DrawerOpen());
    }

    /// <summary>Opens the drawer if it is closed.</summary>
    public async Task OpenNavigationAsync()
    {
        if (await IsNavigationOpenAsync())
        {
            return;
        }

        await NavToggle.ClickAsync();
        await Expect(NavDrawer).ToHaveClassAsync(DrawerOpen());
    }

    public async Task<bool> IsNavigationOpenAsync() =>
        DrawerOpen().IsMatch(await NavDrawer.GetAttributeAsync("class") ?? "");

    /// <summary>Clicks the navigation entry for <paramref name="href"/>, opening the drawer first when it is closed.</summary>
    public async Task NavigateViaMenuAsync(string href)
    {
        await OpenNavigationAsync();
        await NavLink(href).ClickAsync();
        if (IsNarrow)
        {
            // The overlay drawer closes itself after navigating; wait, or the next action races its animation.
            await Expect(NavDrawer).ToHaveClassAsync(DrawerClosed());
        }
    }

    /// <summary>The app bar's "Sign out" (a form post; in the OIDC modes it passes through the provider).</summary>
    public async Task SignOutAsync() => await Page.Locator("#signout").ClickAsync();

    /// <summary>Clicks the theme switch and waits for the layout to report the other theme.</summary>
    public async Task ToggleThemeAsync()
    {
        var before = await CurrentThemeAsync();
        await ThemeToggle.ClickAsync();
        await Expect(ReadyMarker).Not.ToHaveAttributeAsync("data-theme", before);
    }

    /// <summary>"dark" or "light", as the layout renders it.</summary>
    public async Task<string> CurrentThemeAsync() =>
        await ReadyMarker.GetAttributeAsync("data-theme") ?? throw new InvalidOperationException("#app-ready has no data-theme.");

    public Task<string> HeadingTextAsync() => Heading.InnerTextAsync();

    /// <summary>The page background (MudBlazor paints the body with the palette), e.g. "rgb(255, 255, 255)".</summary>
    public ILocator Body => Page.Locator("body");

    public Task<string> BackgroundColorAsync() =>
        Body.EvaluateAsync<string>("body => getComputedStyle(body).backgroundColor");

    /// <summary>The remembered theme: the first-party cookie the server reads while prerendering.</summary>
    public async Task<string?> StoredThemeAsync() =>
        (await Page.Context.CookiesAsync()).FirstOrDefault(c => c.Name == "coderaft-theme")?.Value;

    [GeneratedRegex(@"\bmud-drawer--open\b")]
    private static partial Regex DrawerOpen();

    [GeneratedRegex(@"\bmud-drawer--closed\b")]
    private static partial Regex DrawerClosed();
}
