using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Bench.Startup;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.ApiKeys.Api;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using Microsoft.Data.Sqlite;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Api;

/// <summary>
/// Issue 6 goal "ingest in 1000-event batches ≥ 20,000 events/s" (docs/benchmarks.md, section 7). The real server
/// binary on loopback Kestrel (SQLite, synchronous=FULL), a real key, POST /api/v1/audit/events with pre-serialized
/// 1000-event bodies: once from one client (each request waits for its 201) and once from 4 concurrent clients (a fleet
/// of products). Baseline in the same run: the same events through <see cref="AuditWriter.AppendBatchAsync"/> in this
/// process on its own store — the writer's batched path without parsing, validation of the body, HTTP or the key
/// check. Rounds alternate baseline and HTTP so load on the machine hits both alike; medians are reported.
/// </summary>
internal static class IngestBenchmark
{
    public const double GoalEventsPerSecond = 20_000;
    private const int BatchSize = 1000;
    private const int BatchesPerRun = 20;
    private const int ConcurrentClients = 4;
    private const int Rounds = 5;

    public static async Task<int> RunAsync()
    {
        if (typeof(AuditWriter).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so ingest figures would mean little; run with -c Release.");
            return 1;
        }

        var appDll = Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.dll");
        var root = Directory.CreateTempSubdirectory("coderaft-bench-ingest-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            var bodies = Enumerable.Range(0, BatchesPerRun).Select(b => Body(b)).ToList();
            var events = bodies.Select(b => AuditIngestParser.Parse(b, "crk_benchmark", "127.0.0.1").Events).ToList();
            Console.WriteLine(Invariant($"ingest: {BatchesPerRun} batches of {BatchSize} events per run, {bodies.Average(b => b.Length) / 1024:F0} KiB per body, {Rounds} rounds"));

            // The server's store: created here (the key too), then opened by the server process.
            var serverData = Path.Combine(root.FullName, "server");
            string key;
            await using (var store = await BenchStore.StartAsync(serverData, masterSecret, timeout.Token))
            {
                var keys = new ApiKeyManagementCore(store.Contexts, store.Writer, new ApiKeyInputValidator(), TimeProvider.System);
                key = (await keys.CreateAsync(UserOperator.HostCli, new ApiKeyInput
                {
                    Name = "bench", Scopes = [ApiKeyScopes.AuditWrite], RateLimitPerMinute = ApiKeyInputValidator.MaxRateLimitPerMinute,
                }, timeout.Token)).Created!.Key;
            }

            SqliteConnection.ClearAllPools();
            var baseline = new List<double>();
            var single = new List<double>();
            var fleet = new List<double>();
            await using var writerStore = await BenchStore.StartAsync(Path.Combine(root.FullName, "baseline"), masterSecret, timeout.Token);
            using var server = await new AppProcess(appDll, masterSecret).StartServerAsync(serverData);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = ConcurrentClients })
            {
                BaseAddress = server.BaseAddress,
                Timeout = TimeSpan.FromSeconds(60),
            };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

            // Warm-up: JIT, connection pools, SQLite page cache on both sides.
            await PostAsync(http, bodies[0], timeout.Token);
            await writerStore.Writer.AppendBatchAsync(events[0], timeout.Token);

            for (var round = 0; round < Rounds; round++)
            {
                baseline.Add(await MeasureAsync(async () =>
                {
                    foreach (var batch in events)
                    {
                        await writerStore.Writer.AppendBatchAsync(batch, timeout.Token);
                    }
                }));
                single.Add(await MeasureAsync(async () =>
                {
                    foreach (var body in bodies)
                    {
                        await PostAsync(http, body, timeout.Token);
                    }
                }));
                fleet.Add(await MeasureAsync(() => Task.WhenAll(Enumerable.Range(0, ConcurrentClients).Select(async client =>
                {
                    for (var b = client; b < bodies.Count; b += ConcurrentClients)
                    {
                        await PostAsync(http, bodies[b], timeout.Token);
                    }
                }))));
            }

            // Where the difference goes: the endpoint's own parsing of one body (structure, types, products), in this process.
            var parse = new List<double>();
            foreach (var body in Enumerable.Range(0, 5).SelectMany(_ => bodies))
            {
                var started = Stopwatch.GetTimestamp();
                _ = AuditIngestParser.Parse(body, "crk_benchmark", "127.0.0.1");
                parse.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            // And the chain's rules, which the writer applies to every event on both paths.
            var validator = new AuditEventValidator();
            var rules = new List<double>();
            foreach (var batch in Enumerable.Range(0, 5).SelectMany(_ => events))
            {
                var started = Stopwatch.GetTimestamp();
                foreach (var auditEvent in batch)
                {
                    _ = validator.Validate(auditEvent);
                }

                rules.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var baselineRate = Median(baseline);
            var singleRate = Median(single);
            var fleetRate = Median(fleet);
            Console.WriteLine(Invariant($"  baseline AuditWriter.AppendBatchAsync in-process, batches of {BatchSize}: {Join(baseline, "F0")} events/s; median {baselineRate:F0}"));
            Console.WriteLine(Invariant($"  POST /api/v1/audit/events, 1 client:  {Join(single, "F0")} events/s; median {singleRate:F0} = {singleRate / baselineRate:P0} of baseline"));
            Console.WriteLine(Invariant($"  POST /api/v1/audit/events, {ConcurrentClients} clients: {Join(fleet, "F0")} events/s; median {fleetRate:F0} = {fleetRate / baselineRate:P0} of baseline"));
            Console.WriteLine(Invariant($"  the endpoint parsing one 1000-event body (AuditIngestParser.Parse; the chain rules are the writer's): median {Median(parse):F1} ms"));
            Console.WriteLine(Invariant($"  the writer's AuditEventValidator over the same 1000 events (both paths pay it): median {Median(rules):F1} ms"));
            var met = Math.Max(singleRate, fleetRate) >= GoalEventsPerSecond;
            Console.WriteLine(Invariant($"  goal: ingest ≥ {GoalEventsPerSecond:F0} events/s in 1000-event batches (1 client {singleRate:F0}, {ConcurrentClients} clients {fleetRate:F0}): {Verdict(met)}"));
            return met ? 0 : 1;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The ingest benchmark did not finish within 10 minutes and was stopped.");
            return 1;
        }
        catch (BenchmarkFailedException ex)
        {
            await Console.Error.WriteLineAsync($"ingest: {ex.Message}");
            return 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
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

    /// <returns>Events per second.</returns>
    private static async Task<double> MeasureAsync(Func<Task> run)
    {
        var stopwatch = Stopwatch.StartNew();
        await run();
        return BatchesPerRun * BatchSize / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task PostAsync(HttpClient http, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/api/v1/audit/events", content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new BenchmarkFailedException($"POST /api/v1/audit/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>A realistic product batch: scans, sign-ins and policy decisions, details from small to a few hundred bytes.</summary>
    private static byte[] Body(int batch)
    {
        var random = new Random(batch);
        string[] products = ["entraguard", "ravenscan", "redfox-bastion"];
        (string Category, string Action)[] kinds = [("auth", "auth.signin"), ("scans", "scan.completed"), ("policy", "policy.evaluated"), ("sessions", "session.opened")];
        var events = new JsonArray();
        for (var i = 0; i < BatchSize; i++)
        {
            var (category, action) = kinds[random.Next(kinds.Length)];
            var user = random.Next(500);
            events.Add(new JsonObject
            {
                ["product"] = products[random.Next(products.Length)],
                ["category"] = category,
                ["action"] = action,
                ["outcome"] = random.NextDouble() switch { < 0.9 => "success", < 0.95 => "failure", _ => "denied" },
                ["actorType"] = "user",
                ["actorId"] = $"u-{user:D4}",
                ["actorName"] = $"user{user:D4}@corp.example",
                ["sourceIp"] = $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
                ["targetType"] = "host",
                ["targetId"] = $"srv-{random.Next(2000):D4}",
                ["details"] = new JsonObject
                {
                    ["durationMs"] = random.Next(5, 5000),
                    ["userAgent"] = random.Next(3) == 0 ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36" : null,
                    ["rule"] = $"R-{random.Next(100)}",
                },
            });
        }

        return Encoding.UTF8.GetBytes(events.ToJsonString());
    }
}
