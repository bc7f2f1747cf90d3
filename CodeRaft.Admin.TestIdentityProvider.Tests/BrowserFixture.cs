using Microsoft.Playwright;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>One Playwright driver and one headless Debian Chromium for the browser tests; never a downloaded browser.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Auto-wait bound for every action and expectation; a cold two-core runner needs more than the 5 s default.</summary>
    public const float TimeoutMs = 15_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser fixture is not initialized.");

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(TimeoutMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", // the runner is root, and Chromium's sandbox refuses root
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--ignore-certificate-errors", // the Entra-shaped provider's self-signed certificate
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    public async Task<IPage> NewPageAsync()
    {
        IBrowserContext context = await Browser.NewContextAsync();
        context.SetDefaultTimeout(TimeoutMs);
        return await context.NewPageAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
