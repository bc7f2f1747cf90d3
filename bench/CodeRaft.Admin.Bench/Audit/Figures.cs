using System.Globalization;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>Small statistics and invariant formatting shared by the audit goals.</summary>
internal static class Figures
{
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public static string Verdict(bool met) => met ? "PASS" : "FAIL";

    public static double Median(IReadOnlyCollection<double> samples)
    {
        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile: the smallest sample with at least <paramref name="percent"/> % of samples at or below it.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double percent)
    {
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Join(IEnumerable<double> samples, string format) =>
        string.Join(' ', samples.Select(s => s.ToString(format, CultureInfo.InvariantCulture)));
}
