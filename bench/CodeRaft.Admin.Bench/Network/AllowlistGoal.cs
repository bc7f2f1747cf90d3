using System.Globalization;

namespace CodeRaft.Admin.Bench.Network;

/// <summary>
/// Issue 7: "the allowlist check with 1,000 entries costs ≤ 1 µs per request; report it against a pipeline without
/// the middleware". Runs <see cref="AllowlistBenchmarks"/> in this process and prints, per list shape, the time per
/// request with and without the middleware, the difference (the goal) and the throughput ratio.
/// </summary>
internal static class AllowlistGoal
{
    public const double MaximumCostNanoseconds = 1000;

    public static int Run()
    {
        var summary = InProcessShort.Run<AllowlistBenchmarks>();
        Console.WriteLine();
        if (summary.HasCriticalValidationErrors)
        {
            Console.Error.WriteLine("The allowlist benchmark did not run (see the validation errors above; build with -c Release).");
            return 1;
        }

        var exitCode = 0;
        foreach (var shape in (string[])["typical", "worst-v4", "worst-v6"])
        {
            var without = InProcessShort.Mean(summary, nameof(AllowlistBenchmarks.WithoutAllowlist), "Shape", shape);
            var with = InProcessShort.Mean(summary, nameof(AllowlistBenchmarks.WithAllowlist), "Shape", shape);
            if (without is null || with is null)
            {
                Console.Error.WriteLine($"The allowlist benchmark for '{shape}' produced no result (see the log above).");
                exitCode = 1;
                continue;
            }

            var cost = with.Value - without.Value;
            var met = cost <= MaximumCostNanoseconds;
            exitCode = met ? exitCode : 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"allowlist {shape} (1,000 entries): {with.Value:N1} ns with vs {without.Value:N1} ns without -> costs {cost:N1} ns per request (goal <= {MaximumCostNanoseconds:N0} ns), throughput {without.Value / with.Value:F2} x the pipeline without it: {(met ? "PASS" : "FAIL")}"));
        }

        return exitCode;
    }
}
