using System.Diagnostics;
using System.Reflection;
using System.Security.Claims;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Audit;
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
/// 30 s per check, so no replay). Baselines in the same run: Totp.Verify in memory, the demand alone, and the
/// parts the verify path is made of — the user-row update in its own committed transaction, a standalone durable
/// audit append, and a bare fsync of this disk.
/// </summary>
internal static class StepUpBenchmark
{
    private const int Checks = 400;
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
            await using var store = await BenchStore.StartAsync(root.FullName, masterSecret, timeout.Token);
            return await MeasureAsync(store, root.FullName, timeout.Token);
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

    private static async Task<int> MeasureAsync(BenchStore store, string directory, CancellationToken ct)
    {
        var key = "12345678901234567890"u8.ToArray();
        var time = new SteppingTime(DateTimeOffset.UtcNow);
        var userId = await SeedUserAsync(store, Base32.Encode(key), time.GetUtcNow(), ct);
        var totp = new TotpService(store.Contexts, store.Writer, time, Options.Create(new TotpOptions()));
        using var stepUp = new StepUpService(totp, store.Contexts, store.Writer, new SignedIn(userId), new NoGrace(), time);

        // Baseline 1: the cryptography alone (Base32 decode + 3 HMAC-SHA1 + constant-time compares).
        var secret = Base32.Encode(key);
        var verifyCpu = Sample(InMemoryIterations, i =>
        {
            var now = time.GetUtcNow().AddSeconds(30 * i);
            _ = Totp.Verify(Base32.Decode(secret)!, Totp.Hotp(key, Totp.StepAt(now)), now);
        });

        // The goal: challenge (= TotpService.VerifyCodeAsync + unlock) then demand, a fresh code each time.
        var full = new List<double>(Checks);
        var unlocked = StepUpTicket.New();
        for (var i = 0; i < Checks; i++)
        {
            time.Advance(TimeSpan.FromSeconds(Totp.StepSeconds));
            var ticket = StepUpTicket.New();
            var code = Totp.Hotp(key, Totp.StepAt(time.GetUtcNow()));
            var watch = Stopwatch.StartNew();
            var result = await stepUp.ChallengeAsync(ticket, code, "bench.check", ct);
            await stepUp.DemandAsync(ticket, "bench.check", ct);
            full.Add(watch.Elapsed.TotalMilliseconds);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Check {i} was refused: {result.Message}");
            }

            unlocked = ticket;
        }

        // Baseline 2: the demand alone on an unlocked ticket (what each later privileged operation pays).
        var demand = new List<double>(InMemoryIterations);
        for (var i = 0; i < InMemoryIterations; i++)
        {
            var watch = Stopwatch.StartNew();
            await stepUp.DemandAsync(unlocked, "bench.check", ct);
            demand.Add(watch.Elapsed.TotalMilliseconds);
        }

        // Breakdown of the durable part: the user row's conditional update in a committed transaction without audit,
        // a standalone audit append (its own transaction and fsync), and this disk's bare fsync.
        var step = Totp.StepAt(time.GetUtcNow());
        var update = new List<double>(Checks);
        for (var i = 0; i < Checks; i++)
        {
            var next = ++step;
            var watch = Stopwatch.StartNew();
            await using var db = await store.Contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            _ = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, ct);
            await db.Users.Where(u => u.Id == userId && u.TotpLastStep < next).ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpLastStep, next), ct);
            await transaction.CommitAsync(ct);
            update.Add(watch.Elapsed.TotalMilliseconds);
        }

        var append = new List<double>(Checks);
        for (var i = 0; i < Checks; i++)
        {
            var watch = Stopwatch.StartNew();
            await store.Writer.AppendAsync(new AuditEvent { Category = "auth", Action = "bench.append" }, ct);
            append.Add(watch.Elapsed.TotalMilliseconds);
        }

        var fsync = new List<double>(Checks);
        await using (var file = new FileStream(Path.Combine(directory, "fsync.probe"), FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            var block = new byte[4096];
            for (var i = 0; i < Checks; i++)
            {
                var watch = Stopwatch.StartNew();
                file.Write(block);
                file.Flush(flushToDisk: true);
                fsync.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        Console.WriteLine(Invariant($"stepup: {Environment.ProcessorCount} cores; {Checks} checks against an idle SQLite store (synchronous=FULL)"));
        Line("baseline: Totp.Verify in memory", verifyCpu);
        Line("baseline: demand on an unlocked ticket", demand);
        Line("part: user-row update, own committed transaction", update);
        Line("part: standalone durable audit append", append);
        Line("part: bare fsync of this disk (4 KiB)", fsync);
        Line("step-up check (TOTP verify + demand)", full);

        var p95 = Percentile(full, 95);
        var inMemory = Percentile(verifyCpu, 95) + Percentile(demand, 95);
        var met = p95 < 1.0;
        Console.WriteLine(Invariant($"stepup: CPU part (verify + demand) p95 {inMemory:F4} ms; the rest of each check is one SQLite transaction that updates the user row and appends the audit entry, committed with fsync (bare fsync here p50 {Median(fsync):F3} ms)."));
        if (!met)
        {
            Console.WriteLine(Invariant($"stepup: missed because every verification commits durably before it answers (replay protection + audit entry, {100 * (1 - (inMemory / p95)):F1} % of the p95); below 1 ms at p95 needs a disk whose fsync plus SQLite's commit stays under ~1 ms, not faster code."));
        }

        Console.WriteLine(Invariant($"step-up check (TOTP verify + demand): p95 {p95:F3} ms (goal < 1 ms): {Verdict(met)}"));
        return met ? 0 : 1;
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
