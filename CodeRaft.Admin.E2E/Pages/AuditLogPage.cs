using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CodeRaft.Admin.E2E.Pages;

/// <summary>
/// The audit log (/audit) as an auditor drives it: one method per action. Selectors are the ids and data
/// attributes AuditPage, AuditEntryDetails and AuditIntegrityCard render for tests.
/// </summary>
public sealed partial class AuditLogPage(IPage page)
{
    public const string Path = "/audit";

    public IPage Page { get; } = page;

    public ShellPage Shell { get; } = new(page);

    /// <summary>The head sequence as shown ("–" until the first page has loaded).</summary>
    public ILocator HeadSequence => Page.Locator("#audit-head b");

    /// <summary>Wraps the grid; <c>data-load</c> counts the pages shown so far.</summary>
    public ILocator Results => Page.Locator("#audit-results");

    public ILocator Rows => Page.Locator("#audit-grid tbody tr:has([data-seq])");

    public ILocator RowSequences => Page.Locator("#audit-grid [data-seq]");

    public ILocator RowCategories => Page.Locator("#audit-grid [data-col=category]");

    public ILocator Drawer => Page.Locator("#audit-drawer");

    public ILocator EntryDetails => Page.Locator("#audit-entry-details");

    public ILocator VerifyResult => Page.Locator("#audit-verify-result");

    public ILocator DetailsJson => Drawer.Locator("pre[data-field=details]");

    /// <summary>The value of one field of the entry open in the drawer (column names: hash, previous_hash, …).</summary>
    public ILocator Field(string name) => EntryDetails.Locator($"tr[data-field=\"{name}\"] [data-value]");

    /// <summary>Opens the page (with an optional query string such as "?outcome=denied") and waits for its first page of entries.</summary>
    public async Task GotoAsync(string query = "")
    {
        await Page.GotoAsync(Path + query);
        await Shell.WaitForInteractiveAsync();
        await Expect(HeadSequence).ToHaveTextAsync(Digits());
    }

    /// <summary>Types a category into the filter and applies it.</summary>
    public async Task FilterByCategoryAsync(string category)
    {
        await Page.Locator("#audit-filter-category").FillAsync(category);
        await ApplyFilterAsync();
    }

    /// <summary>Clicks "Apply filter" and waits for the page of entries it loads.</summary>
    public Task ApplyFilterAsync() => LoadingAsync(() => Page.Locator("#audit-apply").ClickAsync());

    public Task OlderAsync() => LoadingAsync(() => Page.Locator("#audit-older").ClickAsync());

    public Task NewerAsync() => LoadingAsync(() => Page.Locator("#audit-newer").ClickAsync());

    /// <summary>
    /// Runs an action that loads a page of entries and waits until that page is shown: the rows on screen
    /// before it may already look like the answer, and clicking them while they are replaced loses the click.
    /// </summary>
    private async Task LoadingAsync(Func<Task> action)
    {
        var shown = await Results.GetAttributeAsync("data-load") ?? "0";
        await action();
        await Expect(Results).Not.ToHaveAttributeAsync("data-load", shown);
        await Expect(Results).ToHaveAttributeAsync("data-loading", "false");
    }

    /// <summary>Opens the entry of the given row (0 = newest shown) in the detail drawer.</summary>
    public async Task<long> OpenEntryAsync(int row = 0)
    {
        var sequence = long.Parse(await RowSequences.Nth(row).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await Page.Locator($"[data-open=\"{sequence}\"]").ClickAsync();
        await Expect(EntryDetails).ToHaveAttributeAsync("data-sequence", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return sequence;
    }

    public async Task CloseEntryAsync()
    {
        await Page.Locator("#audit-drawer-close").ClickAsync();
        await Expect(Drawer).ToHaveClassAsync(DrawerClosed());
    }

    /// <summary>Runs "Verify integrity" and waits for its verdict.</summary>
    public async Task VerifyIntegrityAsync()
    {
        await Page.Locator("#audit-verify").ClickAsync();
        await Expect(VerifyResult).ToBeVisibleAsync();
    }

    /// <summary>Opens the export panel: a privileged component, so it first shows the step-up challenge.</summary>
    public Task OpenExportAsync() => Page.Locator("#audit-export-open").ClickAsync();

    public ILocator StepUpChallenge => Page.Locator("#audit-export-panel [data-stepup-challenge]");

    public ILocator StepUpMessage => Page.Locator("#audit-export-panel [data-stepup-message]");

    public ILocator ExportButton(string format) => Page.Locator($"#audit-export-{format}");

    /// <summary>Types a code into the step-up challenge and confirms.</summary>
    public async Task SubmitStepUpCodeAsync(string code)
    {
        await Page.Locator("#audit-export-panel input[data-stepup-code]").FillAsync(code);
        await Page.Locator("#audit-export-panel [data-stepup-form] button[type=submit]").ClickAsync();
    }

    /// <summary>Clicks an export button (after the step-up) and returns the browser's download.</summary>
    public Task<IDownload> ExportAsync(string format) =>
        Page.RunAndWaitForDownloadAsync(() => ExportButton(format).ClickAsync());

    [GeneratedRegex(@"^\d[\d,]*$")]
    private static partial Regex Digits();

    [GeneratedRegex(@"\bmud-drawer--closed\b")]
    private static partial Regex DrawerClosed();
}
