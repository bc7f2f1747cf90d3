using System.Globalization;

namespace CodeRaft.Admin.Bench.Encryption;

/// <summary>
/// Runs <see cref="EncryptionBenchmarks"/> in this process and prints the goal as a throughput ratio against the raw
/// AesGcm baseline measured in the same run. Absolute times vary by machine; the ratio is the contract.
/// </summary>
internal static class EncryptionGoal
{
    public const double MinimumThroughputRatio = 0.50;
    private const int GoalSize = 1024;

    public static int Run()
    {
        var summary = InProcessShort.Run<EncryptionBenchmarks>();
        Console.WriteLine();
        if (summary.HasCriticalValidationErrors)
        {
            Console.Error.WriteLine("The encryption benchmark did not run (see the validation errors above; build with -c Release).");
            return 1;
        }

        var exitCode = 0;
        foreach (var size in (int[])[GoalSize, 64])
        {
            var raw = InProcessShort.Mean(summary, nameof(EncryptionBenchmarks.RawAesGcm_EncryptDecrypt), "Size", size);
            var service = InProcessShort.Mean(summary, nameof(EncryptionBenchmarks.Service_EncryptDecrypt), "Size", size);
            var label = size == GoalSize ? "1KB" : $"{size}B";
            if (raw is null || service is null)
            {
                Console.Error.WriteLine($"The encryption benchmark for {size}-byte values produced no result (see the log above).");
                exitCode = 1;
                continue;
            }

            // Throughput is the inverse of time per operation, so this is the inverse of BenchmarkDotNet's Ratio column.
            var ratio = raw.Value / service.Value;
            Console.WriteLine(Invariant($"  {size}-byte values: raw AesGcm {raw.Value:N0} ns, service {service.Value:N0} ns per encrypt+decrypt"));
            if (size == GoalSize)
            {
                var met = ratio >= MinimumThroughputRatio;
                Console.WriteLine(Invariant(
                    $"encryption {label}: service throughput = {ratio:F2} x raw AesGcm (goal >= {MinimumThroughputRatio:F2}): {(met ? "PASS" : "FAIL")}"));
                exitCode = met ? exitCode : 1;
            }
            else
            {
                Console.WriteLine(Invariant($"encryption {label}: service throughput = {ratio:F2} x raw AesGcm (no goal stated; for reference)"));
            }
        }

        return exitCode;
    }


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
