using System.Diagnostics;
using System.Reflection;
using System.Security.Claims;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.StepUp;

/// <summary>
/// Issue 4 goal "TOTP verification plus step-up check &lt; 1 ms server time": the app's TotpService and
/// StepUpService over the real SQLite store (idle, synchronous=FULL), each check with a fresh code (time steps
/// 30 s per check, so no replay). Measured after a warm-up, as a server that has run for a while answers: the first
/// checks after start run code the JIT has not optimized yet, and are printed for reference only.
/// Baselines in the same run: Totp.Verify in memory, the demand alone, the check's SQL in plain ADO.NET on a second
/// store (<see cref="StepUpFloor"/>: once with statements prepared once on a long-lived connection, the floor of this
/// stack, and once with a pooled open and statements compiled per check), a standalone durable audit append, and a
/// bare fsync of this disk. The durable paths are interleaved check by check, so a burst of I/O elsewhere on the
/// machine hits each alike.
/// </summary>
internal static class StepUpBenchmark
{
    private const int Checks = 1000;
    private const int WarmupRounds = 10;
    private const int ChecksPerWarmupRound = 100;
    private const int InMemoryIterations = 20_000;

    public static async Task<int> RunAsync()
    {
        if (typeof(StepUpService).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so step-up figures would mean little; run with -c Release.");
            return 1;
        }

        var root = Directory.CreateTempSubdirectory("coderaft-bench-stepup-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            await using var store = await BenchStore.StartAsync(Path.Combine(root.FullName, "app"), masterSecret, timeout.Token);
            await using var side = await BenchStore.StartAsync(Path.Combine(root.FullName, "floor"), masterSecret, timeout.Token);
            return await MeasureAsync(store, side, root.FullName, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The step-up benchmark did not finish within 5 minutes and was stopped.");
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

    private static async Task<int> MeasureAsync(BenchStore store, BenchStore side, string directory, CancellationToken ct)
    {
        Console.WriteLine(Invariant($"stepup: {Environment.ProcessorCount} cores; {AuditBenchmark.LoadAverage()}"));
        var key = "12345678901234567890"u8.ToArray();
        var time = new SteppingTime(DateTimeOffset.UtcNow);
        var userId = await SeedUserAsync(store, Base32.Encode(key), time.GetUtcNow(), ct);
        var sideUserId = await SeedUserAsync(side, Base32.Encode(key), time.GetUtcNow(), ct);
        var totp = new TotpService(store.Contexts, store.Writer, time, Options.Create(new TotpOptions()));
        using var stepUp = new StepUpService(totp, store.Contexts, store.Writer, new SignedIn(userId), new NoGrace(), time);
        using var floor = new StepUpFloor(side, await StoredKeyAsync(side, ct), Totp.StepAt(time.GetUtcNow()), new AuditEntry
        {
            Product = "admin", Category = "auth", Action = "totp.verified", Outcome = AuditVocabulary.Success, ActorType = "user",
            ActorId = sideUserId.ToString(), ActorName = "", SourceIp = "", TargetType = "user", TargetId = sideUserId.ToString(),
            Details = """{"purpose":"step-up:bench.check"}""",
        });

        // Baseline 1: the cryptography alone (Base32 decode + 3 HMAC-SHA1 + constant-time compares).
        var secret = Base32.Encode(key);
        var verifyCpu = Sample(InMemoryIterations, i =>
        {
            var now = time.GetUtcNow().AddSeconds(30 * i);
            _ = Totp.Verify(Base32.Decode(secret)!, Totp.Hotp(key, Totp.StepAt(now)), now);
        });

        var unlocked = StepUpTicket.New();
        var block = new byte[4096];
        var probe = new FileStream(Path.Combine(directory, "fsync.probe"), FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        await using (probe)
        {
            // Warm-up: EF Core's model and query caches, the connection pools, SQLite's page caches, and time for the JIT's
            // tiered compilation to replace the first, unoptimized code. The first round is kept as the cold figure.
            Samples cold = default;
            for (var round = 0; round < WarmupRounds; round++)
            {
                var samples = await RoundAsync(ChecksPerWarmupRound);
                cold = round == 0 ? samples : cold;
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }

            var measured = await RoundAsync(Checks);

            // Baseline 2: the demand alone on an unlocked ticket (what each later privileged operation pays).
            var demand = new List<double>(InMemoryIterations);
            for (var i = 0; i < InMemoryIterations; i++)
            {
                var watch = Stopwatch.StartNew();
                await stepUp.DemandAsync(unlocked, "bench.check", ct);
                demand.Add(watch.Elapsed.TotalMilliseconds);
            }

            return Report(measured, cold, verifyCpu, demand);
        }

        async Task<Samples> RoundAsync(int checks)
        {
            var samples = new Samples(checks);
            for (var i = 0; i < checks; i++)
            {
                // Rotating order, so no path always follows the same one.
                for (var k = 0; k < 5; k++)
                {
                    switch ((i + k) % 5)
                    {
                        case 0:
                            await CheckAsync(samples.Full);
                            break;
                        case 1:
                            Time(samples.Dedicated, floor.CheckDedicated);
                            samples.Commit.Add(floor.LastCommitMilliseconds);
                            break;
                        case 2:
                            Time(samples.Pooled, floor.CheckPooled);
                            break;
                        case 3:
                            var watch = Stopwatch.StartNew();
                            await store.Writer.AppendAsync(new AuditEvent { Category = "auth", Action = "bench.append" }, ct);
                            samples.Append.Add(watch.Elapsed.TotalMilliseconds);
                            break;
                        default:
                            Time(samples.Fsync, () =>
                            {
                                probe.Write(block);
                                probe.Flush(flushToDisk: true);
                            });
                            break;
                    }
                }
            }

            return samples;
        }

        // The goal: challenge (= TotpService.VerifyCodeAsync + unlock) then demand, a fresh code each time.
        async Task CheckAsync(List<double> samples)
        {
            time.Advance(TimeSpan.FromSeconds(Totp.StepSeconds));
            var ticket = StepUpTicket.New();
            var code = Totp.Hotp(key, Totp.StepAt(time.GetUtcNow()));
            var watch = Stopwatch.StartNew();
            var result = await stepUp.ChallengeAsync(ticket, code, "bench.check", ct);
            await stepUp.DemandAsync(ticket, "bench.check", ct);
            samples.Add(watch.Elapsed.TotalMilliseconds);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Check {samples.Count} was refused: {result.Message}");
            }

            unlocked = ticket;
        }
    }

    private static int Report(Samples measured, Samples cold, List<double> verifyCpu, List<double> demand)
    {
        var full = measured.Full;
        Console.WriteLine(Invariant($"stepup: {Checks} checks per path against idle SQLite stores (synchronous=FULL), interleaved check by check, after {WarmupRounds} x {ChecksPerWarmupRound} warm-up checks"));
        Line("baseline: Totp.Verify in memory", verifyCpu);
        Line("baseline: demand on an unlocked ticket", demand);
        Line("floor: the check's SQL in raw ADO.NET, one long-lived connection, statements prepared once", measured.Dedicated);
        Line("  of which the COMMIT alone (fsync of the WAL)", measured.Commit);
        Line("reference: the same SQL, pooled open + PRAGMA + statements compiled per check", measured.Pooled);
        Line("part: standalone durable audit append (AuditWriter.AppendAsync)", measured.Append);
        Line("part: bare fsync of this disk (4 KiB appended)", measured.Fsync);
        Line(Invariant($"reference: step-up check, first {ChecksPerWarmupRound} checks after start (JIT not yet optimized)"), cold.Full);
        Line("step-up check (TOTP verify + demand)", full);

        var p50 = Median(full);
        var p95 = Percentile(full, 95);
        var floorP50 = Median(measured.Dedicated);
        var commitP50 = Median(measured.Commit);
        var met = p95 < 1.0;
        Console.WriteLine(Invariant(
            $"stepup: at the median the check takes {p50:F3} ms = the raw floor {floorP50:F3} ms (of which the durable COMMIT {commitP50:F3} ms) + {p50 - floorP50:F3} ms for .NET and EF Core. Of that, {Median(measured.Pooled) - floorP50:F3} ms is what any code on pooled connections pays (open + PRAGMA + statements compiled per check: the reference line), about 0.01 ms the CPU work (decrypt, TOTP, audit hash and validation), the rest EF Core's pipeline (pooled context, transaction, compiled query, raw-SQL command) and the async hops. Ratio to the floor: {p50 / floorP50:F2} x."));
        if (!met)
        {
            var floorP95 = Percentile(measured.Dedicated, 95);
            Console.WriteLine(floorP95 >= 1.0
                ? Invariant($"stepup: missed, and the raw floor's p95 ({floorP95:F3} ms) misses too: the durable commits were slow in this run (other I/O on the machine?), not the code.")
                : Invariant($"stepup: missed: the check's p95 is {p95 - floorP95:F3} ms above the raw floor's ({floorP95:F3} ms), against {p50 - floorP50:F3} ms at the median. A p95 gap far above the median gap means I/O stalls in this run (see the load average), not steady overhead."));
        }

        Console.WriteLine(Invariant($"step-up check (TOTP verify + demand): p95 {p95:F3} ms (goal < 1 ms): {Verdict(met)}"));
        return met ? 0 : 1;
    }

    private static void Time(List<double> samples, Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        samples.Add(watch.Elapsed.TotalMilliseconds);
    }

    private static List<double> Sample(int iterations, Action<int> action)
    {
        for (var i = 0; i < 1000; i++)
        {
            action(i); // warm-up
        }

        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var watch = Stopwatch.StartNew();
            action(i);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }

        return samples;
    }

    private static async Task<string> StoredKeyAsync(BenchStore store, CancellationToken ct)
    {
        await using var db = await store.Contexts.CreateDbContextAsync(ct);
        return await db.Database.SqlQueryRaw<string>("SELECT id AS \"Value\" FROM users").SingleAsync(ct);
    }

    private static void Line(string name, List<double> samples) =>
        Console.WriteLine(Invariant($"stepup: {name}: p50 {Median(samples):F4} ms, p95 {Percentile(samples, 95):F4} ms (n={samples.Count})"));

    private static async Task<Guid> SeedUserAsync(BenchStore store, string secret, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await store.Contexts.CreateDbContextAsync(ct);
        var user = new AdminUser
        {
            UserName = "bench@example.test", Email = "bench@example.test", DisplayName = "Bench", Role = AdminRole.Owner,
            Status = AdminUserStatus.Active, TotpSecret = secret, TotpEnabledAt = now.UtcDateTime, CreatedAt = now.UtcDateTime,
        };
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return user.Id;
    }

    private readonly record struct Samples(List<double> Full, List<double> Dedicated, List<double> Commit, List<double> Pooled, List<double> Append, List<double> Fsync)
    {
        public Samples(int capacity)
            : this(new(capacity), new(capacity), new(capacity), new(capacity), new(capacity), new(capacity))
        {
        }
    }

    /// <summary>A clock the benchmark moves on by one TOTP step per check, so every check uses a new code.</summary>
    private sealed class SteppingTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private sealed class SignedIn(Guid userId) : AuthenticationStateProvider
    {
        private readonly Task<AuthenticationState> _state = Task.FromResult(new AuthenticationState(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", userId.ToString())], "bench"))));

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => _state;
    }

    private sealed class NoGrace : IStepUpPolicy
    {
        public TimeSpan GracePeriod => TimeSpan.Zero;
    }
}
