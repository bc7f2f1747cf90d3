using System.Globalization;

namespace CodeRaft.Admin.Bench.Licenses;

/// <summary>
/// Issue 9: "verification ≤ 100 µs (RSA-2048) and cached so it is not repeated per request". Runs
/// <see cref="LicenseBenchmarks"/> in this process and prints the uncached verification against the goal and as a ratio
/// of the bare RSA signature check measured in the same run, and the cached path as a ratio of the uncached one.
/// </summary>
internal static class LicenseGoal
{
    public const double MaximumVerifyMicroseconds = 100;

    /// <summary>The cached path must be at least this many times cheaper than verifying, or it is not really a cache.</summary>
    public const double MinimumCacheSpeedup = 20;

    public static int Run()
    {
        var summary = InProcessShort.Run<LicenseBenchmarks>();
        Console.WriteLine();
        var raw = InProcessShort.Mean(summary, nameof(LicenseBenchmarks.RawSignatureCheck));
        var uncached = InProcessShort.Mean(summary, nameof(LicenseBenchmarks.Uncached));
        var cached = InProcessShort.Mean(summary, nameof(LicenseBenchmarks.Cached));
        if (summary.HasCriticalValidationErrors || raw is null || uncached is null || cached is null)
        {
            Console.Error.WriteLine("The license benchmark produced no result (see the log above; build with -c Release).");
            return 1;
        }

        var verifyMet = uncached.Value / 1000 <= MaximumVerifyMicroseconds;
        var cacheMet = uncached.Value / cached.Value >= MinimumCacheSpeedup;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"license verify (RSA-2048, uncached): {uncached.Value / 1000:N1} µs (goal <= {MaximumVerifyMicroseconds:N0} µs) = {uncached.Value / raw.Value:F2} x the bare RSA signature check ({raw.Value / 1000:N1} µs): {(verifyMet ? "PASS" : "FAIL")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"license verify (cached, what each request pays): {cached.Value:N1} ns = 1/{uncached.Value / cached.Value:N0} of the uncached verification (goal >= {MinimumCacheSpeedup:N0} x cheaper): {(cacheMet ? "PASS" : "FAIL")}"));
        return verifyMet && cacheMet ? 0 : 1;
    }
}
