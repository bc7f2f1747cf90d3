using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Bench.Encryption;
using CodeRaft.Admin.Bench.Startup;

// dotnet run -c Release --project bench/CodeRaft.Admin.Bench -- [encryption|startup|audit|stepup|signin|users|apiget|ingest|allowlist|siem|licenses|all]   (docs/benchmarks.md)
// Exit codes: 0 measured and every goal met, 1 a goal missed or a measurement failed, 2 usage.
string[] modes = ["encryption", "startup", "audit", "stepup", "signin", "users", "apiget", "ingest", "allowlist", "siem", "licenses", "all"];
var mode = args.Length == 0 ? "all" : args[0];
if (args.Length > 1 || !modes.Contains(mode))
{
    await Console.Error.WriteLineAsync($"Unknown mode '{string.Join(' ', args)}'; use {string.Join(", ", modes)}.");
    return 2;
}

var exitCode = 0;
if (mode is "encryption" or "all")
{
    exitCode = Math.Max(exitCode, EncryptionGoal.Run());
}

if (mode is "startup" or "all")
{
    exitCode = Math.Max(exitCode, await StartupBenchmark.RunAsync());
}

if (mode is "audit" or "all")
{
    exitCode = Math.Max(exitCode, await AuditBenchmark.RunAsync());
}

if (mode is "stepup" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.StepUp.StepUpBenchmark.RunAsync());
}

if (mode is "signin" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.SignIn.SignInRoundTripBenchmark.RunAsync());
}

if (mode is "users" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.Users.UsersBenchmark.RunAsync());
}

if (mode is "apiget" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.Api.RateLimitedGetBenchmark.RunAsync());
}

if (mode is "ingest" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.Api.IngestBenchmark.RunAsync());
}

if (mode is "allowlist" or "all")
{
    exitCode = Math.Max(exitCode, CodeRaft.Admin.Bench.Network.AllowlistGoal.Run());
}

if (mode is "siem" or "all")
{
    exitCode = Math.Max(exitCode, await CodeRaft.Admin.Bench.Siem.SiemForwardingBenchmark.RunAsync());
}

if (mode is "licenses" or "all")
{
    exitCode = Math.Max(exitCode, CodeRaft.Admin.Bench.Licenses.LicenseGoal.Run());
}

return exitCode;
