using System.Diagnostics;
using Microsoft.Playwright;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// One Playwright driver and one headless Chromium per test collection; every test gets its own context
/// (cookies, localStorage) through <see cref="NewSessionAsync"/>. Debian's Chromium, never a downloaded one.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>A cold circuit on a busy two-core runner takes a few seconds; 5 s (the default) is too tight.</summary>
    public const float ExpectTimeoutMs = 15_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser fixture is not initialized.");

    /// <summary>How long starting the Playwright driver and Chromium took.</summary>
    public TimeSpan LaunchTime { get; private set; }

    public async Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        Assertions.SetDefaultExpectTimeout(ExpectTimeoutMs);
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
                // The proxy tests reach nginx by name (a numeric Host scores in CRS 920350); only loopback.
                $"--host-resolver-rules=MAP {NginxProxy.HostName} 127.0.0.1",
            ],
        });
        LaunchTime = stopwatch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private readonly SemaphoreSlim _signIn = new(1, 1);

    /// <summary>A fresh context signed in as the app's Owner (the sign-in itself runs once per app fixture).</summary>
    public async Task<BrowserSession> NewSessionAsync(AdminAppFixture app, int width = 1280, int height = 800)
    {
        await _signIn.WaitAsync();
        try
        {
            if (app.SignedInStorageState is null)
            {
                await using var anonymous = await NewSessionAsync(app.BaseAddress);
                await new Pages.SignInPage(anonymous.Page).SignInAsync(app.OwnerEmail, app.OwnerPassword, app.OwnerTotpKey);
                app.SignedInStorageState = await anonymous.Context.StorageStateAsync();
            }
        }
        finally
        {
            _signIn.Release();
        }

        return await NewSessionAsync(app.BaseAddress, width, height, app.SignedInStorageState);
    }

    /// <summary>A fresh context and page at the given viewport, recording what goes wrong in it.</summary>
    public async Task<BrowserSession> NewSessionAsync(Uri baseAddress, int width = 1280, int height = 800, string? storageState = null, bool ignoreHttpsErrors = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            IgnoreHTTPSErrors = ignoreHttpsErrors, // the proxy tests' throw-away self-signed certificate
            ViewportSize = new ViewportSize { Width = width, Height = height },
            StorageState = storageState,
        });
        context.SetDefaultTimeout(ExpectTimeoutMs);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page);
    }
}
