using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace CodeRaft.Admin.Bench;

/// <summary>
/// The one BenchmarkDotNet setup of the micro-benchmark goals: in-process (nothing generated or built, a run stays well
/// under a minute on two cores), 3 warm-ups, 10 iterations of 250 ms, reports under the binary's folder.
/// </summary>
internal static class InProcessShort
{
    public static Summary Run<TBenchmarks>()
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithId("InProcessShort");
        var config = DefaultConfig.Instance.AddJob(job)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        return BenchmarkRunner.Run<TBenchmarks>(config);
    }

    /// <summary>The mean time (ns) of one benchmark method, optionally of one parameter value; null when it did not run.</summary>
    public static double? Mean(Summary summary, string method, string? parameter = null, object? value = null) => summary.Reports
        .Where(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
            && (parameter is null || Equals(r.BenchmarkCase.Parameters[parameter], value)))
        .Select(r => r.ResultStatistics?.Mean)
        .FirstOrDefault();
}
