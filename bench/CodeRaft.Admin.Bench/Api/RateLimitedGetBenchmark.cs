using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Bench.Startup;
using CodeRaft.Admin.Features.ApiKeys;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Api;

/// <summary>
/// Issue 6 goal "an authenticated, rate-limited GET sustains ≥ 50 % of the requests per second of /healthz, with the
/// load generated from a second process". The built app runs as its own process, as an operator runs it (SQLite,
/// Production); this process generates the load over loopback (<see cref="HttpLoad"/>). Baseline and measurement
/// in the same run, interleaved: GET /healthz, then GET /api/v1/whoami with a Bearer key — the ApiKey scheme
/// (checksum, SHA-256, one indexed lookup), the api:key policy, the per-key token bucket and the per-address check.
///
/// The keys are at the highest rate CONTRACTS §5 allows (100,000 a minute) and the requests go round-robin over
/// <see cref="Keys"/> of them, so no request is refused and every one pays for the full rate-limit check: the
/// figure is the cost of limiting, not the limit. A refusal (429) would make the run fail, not look faster.
/// </summary>
internal static class RateLimitedGetBenchmark
{
    public const double Goal = 0.5;
    private const int Keys = 64;
    private const int Concurrency = 16;
    private const int Rounds = 2;
    private static readonly TimeSpan _warmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan _phase = TimeSpan.FromSeconds(8);

    public static async Task<int> RunAsync()
    {
        if (typeof(ApiKey).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so API figures would mean little; run with -c Release.");
            return 1;
        }

        var root = Directory.CreateTempSubdirectory("coderaft-bench-apiget-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            var keys = await SeedKeysAsync(root.FullName, masterSecret, timeout.Token);
            var app = new AppProcess(Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.dll"), masterSecret);
            using var server = await app.StartServerAsync(root.FullName);
            return await MeasureAsync(server.BaseAddress, keys, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The API benchmark did not finish within 5 minutes and was stopped.");
            return 1;
        }
        catch (BenchmarkFailedException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
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

    /// <summary>The keys, written to the store before the server starts (as <c>apikey create</c> would).</summary>
    private static async Task<string[]> SeedKeysAsync(string directory, string masterSecret, CancellationToken ct)
    {
        await using var store = await BenchStore.StartAsync(directory, masterSecret, ct);
        await using var db = await store.Contexts.CreateDbContextAsync(ct);
        var keys = new string[Keys];
        for (var i = 0; i < Keys; i++)
        {
            keys[i] = ApiKeyFormat.Generate();
            db.ApiKeys.Add(new ApiKey
            {
                Id = Guid.CreateVersion7(),
                Identifier = ApiKeyFormat.Identifier(keys[i]),
                KeyHash = ApiKeyFormat.Hash(keys[i]),
                Name = $"bench {i}",
                Scopes = ApiKeyScopes.Format(ApiKeyScopes.All),
                CreatedAt = DateTime.UtcNow,
                CreatedBy = "cli",
                ExpiresAt = DateTime.UtcNow.AddDays(1),
                RateLimitPerMinute = ApiKeyInputValidator.MaxRateLimitPerMinute,
            });
        }

        await db.SaveChangesAsync(ct);
        return keys;
    }

    private static async Task<int> MeasureAsync(Uri baseAddress, string[] keys, CancellationToken ct)
    {
        var healthz = new Uri(baseAddress, "healthz");
        var whoami = new Uri(baseAddress, "api/v1/whoami");
        using var load = new HttpLoad(Concurrency);
        await load.RunAsync(healthz, [], _warmUp, ct);
        await load.RunAsync(whoami, keys, _warmUp, ct);

        var baseline = new List<HttpLoad.Result>();
        var measured = new List<HttpLoad.Result>();
        for (var round = 0; round < Rounds; round++)
        {
            baseline.Add(await load.RunAsync(healthz, [], _phase, ct));
            measured.Add(await load.RunAsync(whoami, keys, _phase, ct));
        }

        var baselineRps = HttpLoad.Result.Sum(baseline).RequestsPerSecond;
        var total = HttpLoad.Result.Sum(measured);
        var ratio = total.RequestsPerSecond / baselineRps;
        var met = ratio >= Goal && total.Refused == 0;
        Console.WriteLine(Invariant($"apiget: {Environment.ProcessorCount} cores; app as its own process (SQLite, Production); load from this process over loopback, {Concurrency} connections; {Rounds} rounds of {_phase.TotalSeconds:F0} s per endpoint, interleaved, after {_warmUp.TotalSeconds:F0} s warm-up each"));
        Console.WriteLine(Invariant($"  baseline  GET /healthz                                  {baselineRps,9:F0} requests/s   (rounds: {Figures.Join(baseline.Select(r => r.RequestsPerSecond), "F0")})"));
        Console.WriteLine(Invariant($"  measured  GET /api/v1/whoami (Bearer key, rate-limited) {total.RequestsPerSecond,9:F0} requests/s   (rounds: {Figures.Join(measured.Select(r => r.RequestsPerSecond), "F0")}; {keys.Length} keys at {ApiKeyInputValidator.MaxRateLimitPerMinute}/min; not 200: {total.Refused})"));
        Console.WriteLine(Invariant($"  ratio     {ratio:P0} of /healthz (goal ≥ {Goal:P0})   {Verdict(met)}"));
        return met ? 0 : 1;
    }
}
