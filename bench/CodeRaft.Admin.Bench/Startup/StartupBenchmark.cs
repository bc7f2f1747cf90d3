using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Bench.Startup;

/// <summary>
/// Launch-to-ready time of the portal, PBKDF2 included: a first start (fresh data directory: migrations and key-ring
/// creation) and a warm restart (same data directory: key-ring unlock), each the median of <see cref="Runs"/>
/// launches. Baselines from the same run: PBKDF2 alone in this process, and <c>dotnet CodeRaft.Admin.dll --help</c>
/// as the cost of merely launching the runtime and the app assembly.
/// </summary>
internal static class StartupBenchmark
{
    private const int Runs = 5;

    public static async Task<int> RunAsync()
    {
        var appDll = Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.dll");
        if (!File.Exists(appDll) || !File.Exists(Path.ChangeExtension(appDll, ".runtimeconfig.json")))
        {
            await Console.Error.WriteLineAsync($"The app is not built next to the benchmark ({appDll}); build the bench project first.");
            return 1;
        }

        if (typeof(KeyRing).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so its start-up time means little; run with -c Release.");
            return 1;
        }

        // 24 random bytes = 32 base64url characters; one secret for the whole run, so warm restarts can unlock.
        var masterSecret = Base64Url(RandomNumberGenerator.GetBytes(24));
        var app = new AppProcess(appDll, masterSecret);
        var root = Directory.CreateTempSubdirectory("coderaft-bench-startup-");
        var fresh = 0;
        string NewDataDirectory() => Directory.CreateDirectory(Path.Combine(root.FullName, $"data-{++fresh}")).FullName;

        try
        {
            Console.WriteLine($"startup: {Runs} launches per scenario, median reported; each process is killed once measured.");

            // One unmeasured launch of each kind, so the first sample does not pay for a cold file cache.
            await app.TimeCliHelpAsync(NewDataDirectory());
            await app.TimeToReadyAsync(NewDataDirectory());

            var cli = new List<TimeSpan>();
            for (var i = 0; i < Runs; i++)
            {
                cli.Add(await app.TimeCliHelpAsync(NewDataDirectory()));
            }

            var first = new List<TimeSpan>();
            var warmDataDirectory = "";
            for (var i = 0; i < Runs; i++)
            {
                warmDataDirectory = NewDataDirectory();
                first.Add(await app.TimeToReadyAsync(warmDataDirectory));
            }

            var warm = new List<TimeSpan>();
            for (var i = 0; i < Runs; i++)
            {
                warm.Add(await app.TimeToReadyAsync(warmDataDirectory));
            }

            var pbkdf2 = TimePbkdf2(masterSecret);
            Report(cli, first, warm, pbkdf2);
            return 0;
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

    /// <summary>The KEK derivation exactly as startup does it: PBKDF2-HMAC-SHA256, 32-byte salt, 32-byte key.</summary>
    private static List<TimeSpan> TimePbkdf2(string masterSecret)
    {
        var password = Encoding.UTF8.GetBytes(masterSecret);
        var salt = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SaltSize);
        Rfc2898DeriveBytes.Pbkdf2(password, salt, 1_000, HashAlgorithmName.SHA256, 32); // load the crypto provider first

        var samples = new List<TimeSpan>();
        for (var i = 0; i < Runs; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            Rfc2898DeriveBytes.Pbkdf2(password, salt, KeyEncryptionKey.Iterations, HashAlgorithmName.SHA256, 32);
            samples.Add(stopwatch.Elapsed);
        }

        return samples;
    }

    private static void Report(List<TimeSpan> cli, List<TimeSpan> first, List<TimeSpan> warm, List<TimeSpan> pbkdf2)
    {
        var cliMedian = Median(cli);
        var firstMedian = Median(first);
        var warmMedian = Median(warm);
        var pbkdf2Median = Median(pbkdf2);

        Console.WriteLine(Invariant($"  samples (s): --help {Samples(cli)}; first start {Samples(first)}; warm {Samples(warm)}; PBKDF2 {Samples(pbkdf2)}"));
        Console.WriteLine(Invariant($"process launch baseline (dotnet CodeRaft.Admin.dll --help): {cliMedian:F3} s median"));
        Console.WriteLine(Invariant($"PBKDF2-HMAC-SHA256, {KeyEncryptionKey.Iterations:N0} iterations, in-process: {pbkdf2Median:F3} s median"));
        Console.WriteLine(Invariant(
            $"launch-to-ready (first start: migrations + key ring creation): {firstMedian:F2} s median; PBKDF2 alone {pbkdf2Median:F2} s = {Percent(pbkdf2Median, firstMedian)} of it; {firstMedian / cliMedian:F1} x the --help launch"));
        Console.WriteLine(Invariant(
            $"launch-to-ready (warm): {warmMedian:F2} s median; PBKDF2 alone {pbkdf2Median:F2} s = {Percent(pbkdf2Median, warmMedian)} of it; {warmMedian / cliMedian:F1} x the --help launch"));
    }

    private static double Median(List<TimeSpan> samples)
    {
        var sorted = samples.Select(s => s.TotalSeconds).Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Samples(List<TimeSpan> samples) =>
        string.Join(' ', samples.Select(s => s.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)));

    private static string Percent(double part, double whole) => Invariant($"{100 * part / whole:F0} %");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void DeleteQuietly(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not remove the temporary directory {directory.FullName}: {ex.Message}");
        }
    }
}
