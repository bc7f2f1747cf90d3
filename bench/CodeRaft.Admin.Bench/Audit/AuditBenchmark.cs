using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Startup;
using CodeRaft.Admin.Features.Audit.Chain;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// The audit chain's performance goals (docs/benchmarks.md, section 3), each against a baseline measured in this
/// run: single and batched durable appends, verification throughput, and verification and viewer paging at one
/// million entries. Every store lives in a fresh temporary directory deleted afterwards; the whole mode is bounded.
/// </summary>
internal static class AuditBenchmark
{
    private static readonly TimeSpan _budget = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync()
    {
        if (typeof(AuditWriter).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true
            || typeof(AuditBenchmark).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app or the benchmark was built without optimizations, so audit figures would mean little; run with -c Release.");
            return 1;
        }

        var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var root = Directory.CreateTempSubdirectory("coderaft-bench-audit-");
        using var timeout = new CancellationTokenSource(_budget);
        var total = Stopwatch.StartNew();
        var exitCode = 0;
        Console.WriteLine($"audit: {Environment.ProcessorCount} cores; {LoadAverage()}");
        try
        {
            exitCode = Math.Max(exitCode, await InDirectoryAsync(root, "appends", dir => AppendGoals.RunAsync(dir, masterSecret, timeout.Token)));
            exitCode = Math.Max(exitCode, await InDirectoryAsync(root, "verify", dir => VerifyGoal.RunAsync(dir, masterSecret, timeout.Token)));
            exitCode = Math.Max(exitCode, await InDirectoryAsync(root, "scale", dir => ScaleGoal.RunAsync(dir, masterSecret, timeout.Token)));
            Console.WriteLine(Invariant($"audit: all measurements took {total.Elapsed.TotalSeconds:F0} s; {LoadAverage()}"));
            return exitCode;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"The audit benchmark did not finish within {_budget.TotalMinutes:F0} minutes and was stopped.");
            return 1;
        }
        catch (BenchmarkFailedException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }
        finally
        {
            DeleteQuietly(root);
        }
    }

    /// <summary>Runs one goal in its own subdirectory and removes it (and its database) before the next goal starts.</summary>
    private static async Task<int> InDirectoryAsync(DirectoryInfo root, string name, Func<string, Task<int>> goal)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root.FullName, name));
        try
        {
            return await goal(directory.FullName);
        }
        finally
        {
            GC.Collect(); // the seeded records of one goal must not weigh on the next
            DeleteQuietly(directory);
        }
    }

    /// <summary>Other work on the machine moves fsync-bound figures a lot; the load average says how quiet the run was.</summary>
    internal static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {fields[0]} {fields[1]} {fields[2]} (1, 5, 15 min)";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return "load average not available";
        }
    }

    private static void DeleteQuietly(DirectoryInfo directory)
    {
        try
        {
            if (directory.Exists)
            {
                directory.Delete(recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not remove the temporary directory {directory.FullName}: {ex.Message}");
        }
    }
}
