using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>The dashboard (/) as a user reads it. Selectors are the ids and data attributes DashboardPage renders.</summary>
public sealed partial class DashboardPage(IPage page)
{
    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    public ILocator HeadSequence => Page.Locator("#dashboard-head");

    public ILocator LastCheckpoint => Page.Locator("#dashboard-checkpoint");

    public ILocator Verification => Page.Locator("#dashboard-verification [data-verified]");

    public ILocator PerHourChart => Page.Locator("#dashboard-per-hour svg");

    public ILocator OutcomeCount(string outcome) => Page.Locator($"#dashboard-outcomes [data-outcome=\"{outcome}\"]");

    public ILocator RecentProblems => Page.Locator("#dashboard-recent-problems");

    /// <summary>The row of a recent denied or failed action.</summary>
    public ILocator Problem(long sequence) => RecentProblems.Locator($"[data-problem=\"{sequence}\"]");

    /// <summary>Opens the dashboard and waits until its statistics have loaded.</summary>
    public async Task GotoAsync()
    {
        await Page.GotoAsync("/");
        await Shell.WaitForInteractiveAsync();
        await Expect(HeadSequence).ToHaveTextAsync(Digits());
    }

    [GeneratedRegex(@"^\d[\d,]*$")]
    private static partial Regex Digits();
}
