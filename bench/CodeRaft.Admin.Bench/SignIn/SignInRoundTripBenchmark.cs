using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Bench.Startup;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Totp;
using Microsoft.AspNetCore.Identity;
using Microsoft.Playwright;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.SignIn;

/// <summary>
/// Issue 4 "report the E2E sign-in round trip": the built app as its own process (SQLite, environment Development for the build's static assets), Debian's
/// Chromium driven by Playwright as a person would sign in — open the sign-in page, e-mail and password, the
/// 6-digit code, until the dashboard's heading shows in a live circuit. One seeded user per sample, so every
/// sample uses a fresh TOTP step (a code is accepted once per user). Baseline in the same run: opening the
/// sign-in page alone in a fresh browser context. A report, not a goal: exit 0 once measured.
/// </summary>
internal static class SignInRoundTripBenchmark
{
    private const int Samples = 20;
    private const int WarmUp = 2;
    private const string Password = "bench sign-in passphrase 42";
    private const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<int> RunAsync()
    {
        if (typeof(AdminUser).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so sign-in figures would mean little; run with -c Release.");
            return 1;
        }

        if (!File.Exists(ChromiumPath))
        {
            await Console.Error.WriteLineAsync($"Chromium is not installed at {ChromiumPath}; scripts/test.sh installs it (apt-get install chromium).");
            return 1;
        }

        var root = Directory.CreateTempSubdirectory("coderaft-bench-signin-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            var keys = await SeedAsync(root.FullName, masterSecret, timeout.Token);
            // All samples come from one address; the per-address brake on sign-in posts (20 a minute) would
            // otherwise answer 429 from the eleventh sign-in on. The server inherits this process's environment.
            Environment.SetEnvironmentVariable("Security__SignIn__PostsPerMinutePerAddress", "10000");
            var app = new AppProcess(Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.dll"), masterSecret);
            // Development only so that the build output serves blazor.web.js and MudBlazor's assets (a published app
            // does in Production); the master secret is given, so no development secret is generated.
            using var server = await app.StartServerAsync(root.FullName, "Development");
            return await MeasureAsync(server.BaseAddress, keys).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The sign-in benchmark did not finish within 5 minutes and was stopped.");
            return 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"Could not remove {root.FullName}: {ex.Message}");
            }
        }
    }

    /// <summary>One enrolled Administrator per sample (e-mail → TOTP key), written before the server starts.</summary>
    private static async Task<Dictionary<string, byte[]>> SeedAsync(string directory, string masterSecret, CancellationToken ct)
    {
        await using var store = await BenchStore.StartAsync(directory, masterSecret, ct);
        await using var db = await store.Contexts.CreateDbContextAsync(ct);
        var hasher = new PasswordHasher<AdminUser>();
        var keys = new Dictionary<string, byte[]>();
        for (var i = 0; i < Samples + WarmUp; i++)
        {
            var email = $"bench-{i}@example.test";
            var key = RandomNumberGenerator.GetBytes(20);
            var user = AdminUser.Create(email, email, $"Bench {i}", AdminRole.Administrator, AdminUserStatus.Active, DateTime.UtcNow);
            user.PasswordHash = hasher.HashPassword(user, Password);
            user.TotpSecret = Base32.Encode(key);
            user.TotpEnabledAt = DateTime.UtcNow;
            db.Users.Add(user);
            keys[email] = key;
        }

        await db.SaveChangesAsync(ct);
        return keys;
    }

    private static async Task<int> MeasureAsync(Uri baseAddress, Dictionary<string, byte[]> keys)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });

        var pageOnly = new List<double>();
        var roundTrip = new List<double>();
        var afterPassword = new List<double>();
        var index = 0;
        foreach (var (email, key) in keys)
        {
            // Baseline: the sign-in page alone, in a fresh context (no cookies, as for the round trip).
            await using (var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString() }))
            {
                var page = await context.NewPageAsync();
                var watch = Stopwatch.StartNew();
                await page.GotoAsync("account/signin");
                await page.Locator("#signin-submit").WaitForAsync();
                Record(pageOnly, watch);
            }

            await using (var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString() }))
            {
                var page = await context.NewPageAsync();
                var watch = Stopwatch.StartNew();
                await page.GotoAsync("account/signin");
                await page.Locator("#email").FillAsync(email);
                await page.Locator("#password").FillAsync(Password);
                await page.Locator("#signin-submit").ClickAsync();
                await page.Locator("#code").WaitForAsync();
                var passwordDone = watch.Elapsed;
                await page.Locator("#code").FillAsync(Totp.Hotp(key, Totp.StepAt(DateTimeOffset.UtcNow)));
                await page.Locator("#code-submit").ClickAsync();
                // Signed in = the dashboard rendered and its circuit running (the layout marks itself interactive).
                await page.Locator("#app-ready[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
                await page.Locator("h1", new() { HasText = "Dashboard" }).WaitForAsync();
                if (index++ >= WarmUp)
                {
                    Record(roundTrip, watch);
                    afterPassword.Add((watch.Elapsed - passwordDone).TotalMilliseconds);
                }
            }
        }

        pageOnly.RemoveRange(0, WarmUp);
        Console.WriteLine(Invariant($"signin: {Environment.ProcessorCount} cores; app as its own process (SQLite, environment Development for the build's static assets); Debian Chromium headless; {roundTrip.Count} sign-ins, one user each"));
        Line("baseline: open the sign-in page (fresh context)", pageOnly);
        Line("code step: submit the code → dashboard interactive", afterPassword);
        Line("round trip: open sign-in → password → code → dashboard interactive", roundTrip);
        Console.WriteLine(Invariant($"sign-in round trip: p50 {Median(roundTrip):F0} ms, p95 {Percentile(roundTrip, 95):F0} ms = {Median(roundTrip) / Median(pageOnly):F1}× opening the sign-in page (report only, no goal)"));
        return 0;
    }

    private static void Record(List<double> samples, Stopwatch watch) => samples.Add(watch.Elapsed.TotalMilliseconds);

    private static void Line(string name, List<double> samples) =>
        Console.WriteLine(Invariant($"signin: {name}: p50 {Median(samples):F1} ms, p95 {Percentile(samples, 95):F1} ms (n={samples.Count})"));
}
