using System.Text;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary><c>apikey create|revoke|list</c> of the real binary: the key alone on the last line and nowhere else, exit codes, audit as cli.</summary>
public sealed class ApiKeyCommandsTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Task<AppProcess.Result> RunAsync(params string[] args) => RunWithLogLevelAsync("Warning", args);

    private Task<AppProcess.Result> RunWithLogLevelAsync(string logLevel, params string[] args) => AppProcess.RunAsync(_work.Path, AppProcess.Environment(DataDirectory, _secret, extra: ("Logging__LogLevel__Default", logLevel)), args);

    private async Task<(List<ApiKey> Keys, List<AuditEntry> Audit)> StoreAsync()
    {
        await using var store = await TestStore.StartAsync(DataDirectory, _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        return (await db.ApiKeys.AsNoTracking().ToListAsync(),
            await db.AuditEntries.AsNoTracking().Where(e => e.Category == "apikeys").OrderBy(e => e.Sequence).ToListAsync());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Create_ValidInput_KeyAloneOnLastLineStoredAsHashAuditedAsCli()
    {
        var result = await RunAsync("apikey", "create", "--name", "Ravenscan ingest", "--scopes", "audit:write, audit:read", "--expires-in-days", "30", "--rate-limit-per-minute", "1200");

        Assert.Equal(0, result.ExitCode);
        var lines = Lines(result.StandardOutput);
        var key = lines[^1];
        Assert.Matches("^crk_[0-9A-Za-z]{49}$", key);
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        Assert.Single(Lines(result.StandardOutput), l => l.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(key[4..], result.StandardError, StringComparison.Ordinal);
        var (keys, audit) = await StoreAsync();
        var row = Assert.Single(keys);
        Assert.Equal((key[..12], ApiKeyFormat.Hash(key), "Ravenscan ingest", "audit:write audit:read", 1200), (row.Identifier, row.KeyHash, row.Name, row.Scopes, row.RateLimitPerMinute));
        Assert.InRange(row.ExpiresAt - row.CreatedAt, TimeSpan.FromDays(30), TimeSpan.FromDays(30).Add(TimeSpan.FromSeconds(1)));
        Assert.Contains(row.Id.ToString(), lines[0], StringComparison.Ordinal);
        var entry = Assert.Single(audit);
        Assert.Equal(("apikey.created", "success", "cli", "cli", row.Identifier), (entry.Action, entry.Outcome, entry.ActorType, entry.ActorName, entry.TargetId));
        Assert.DoesNotContain(key[12..], entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Then_PlaintextIsInNoFileOfTheDataDirectory()
    {
        // The most talkative logs the CLI can be asked for (EF Core included): the key must not be in them either.
        var result = await RunWithLogLevelAsync("Trace", "apikey", "create", "--name", "scanner test", "--scopes", "users:read");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("dbug:", result.StandardError, StringComparison.Ordinal);
        var key = Lines(result.StandardOutput)[^1];
        // A later process reads the store too (WAL checkpoint, key ring): still nothing.
        Assert.Equal(0, (await RunWithLogLevelAsync("Trace", "apikey", "list")).ExitCode);

        var files = Directory.GetFiles(DataDirectory, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith(".db", StringComparison.Ordinal));
        // The whole key, the part after the identifier, and the 43 random characters — as ASCII and as UTF-16.
        string[] needles = [key, key[12..], key[4..47]];
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) < 0, $"{needle} found in {file}");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) < 0, $"{needle} (UTF-16) found in {file}");
            }
        }

        Assert.DoesNotContain(key[12..], result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DefaultsApplied_NinetyDaysAndSixHundredPerMinute()
    {
        var result = await RunAsync("apikey", "create", "--name", "defaults", "--scopes", "licenses:read");

        Assert.Equal(0, result.ExitCode);
        var row = Assert.Single((await StoreAsync()).Keys);
        Assert.Equal(600, row.RateLimitPerMinute);
        Assert.InRange(row.ExpiresAt - row.CreatedAt, TimeSpan.FromDays(90), TimeSpan.FromDays(90).Add(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("--scopes", "admin:write", "Scopes must be chosen from audit:write, audit:read, licenses:read, users:read.")]
    [InlineData("--scopes", ",", "Choose at least one scope.")]
    [InlineData("--expires-in-days", "366", "The key must expire in 1 to 365 days.")]
    [InlineData("--expires-in-days", "0", "The key must expire in 1 to 365 days.")]
    [InlineData("--rate-limit-per-minute", "100001", "The rate limit must be 1 to 100,000 requests per minute.")]
    [InlineData("--rate-limit-per-minute", "0", "The rate limit must be 1 to 100,000 requests per minute.")]
    [InlineData("--name", "", "Enter a name for the key, such as the system that will use it.")]
    public async Task Create_InvalidInput_ExitTwoOneSentenceNothingCreated(string option, string value, string message)
    {
        var args = new Dictionary<string, string> { ["--name"] = "n", ["--scopes"] = "audit:read" };
        args[option] = value;

        var result = await RunAsync(["apikey", "create", .. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(message, Assert.Single(result.ErrorLines));
        Assert.Equal("", result.StandardOutput);
        Assert.False(Directory.Exists(DataDirectory)); // refused before the store was even opened
    }

    [Fact]
    public async Task Create_NonNumericDays_ExitTwoUsage()
    {
        var result = await RunAsync("apikey", "create", "--name", "n", "--scopes", "audit:read", "--expires-in-days", "ninety");

        Assert.Equal(2, result.ExitCode);
        Assert.EndsWith("Run with --help for usage.", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Fact]
    public async Task Revoke_ExistingKey_RevokedAuditedThenIdempotent()
    {
        Assert.Equal(0, (await RunAsync("apikey", "create", "--name", "to revoke", "--scopes", "audit:read")).ExitCode);
        var id = Assert.Single((await StoreAsync()).Keys).Id;

        var first = await RunAsync("apikey", "revoke", "--id", id.ToString());
        var second = await RunAsync("apikey", "revoke", "--id", id.ToString());

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("Revoked API key crk_", first.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("already revoked", second.StandardOutput, StringComparison.Ordinal);
        var (keys, audit) = await StoreAsync();
        Assert.Equal("cli", Assert.Single(keys).RevokedBy);
        Assert.Equal(["apikey.created", "apikey.revoked"], audit.Select(e => e.Action));
        Assert.Equal("cli", audit[1].ActorType);
    }

    [Theory]
    [InlineData("not-a-guid", "--id must be the id of an API key")]
    [InlineData("", "--id must be the id of an API key")]
    [InlineData("00000000-0000-0000-0000-000000000001", "No API key has the id 00000000-0000-0000-0000-000000000001.")]
    public async Task Revoke_BadOrUnknownId_ExitTwoNothingChanged(string id, string message)
    {
        var result = await RunAsync("apikey", "revoke", "--id", id);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(message, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public async Task List_Keys_TableWithStateAndNoSecret()
    {
        var created = await RunAsync("apikey", "create", "--name", "Bastion \u001b[31m", "--scopes", "audit:read");
        Assert.Equal(2, created.ExitCode); // a control character in a name is refused
        var active = await RunAsync("apikey", "create", "--name", "Bastion", "--scopes", "audit:read,users:read");
        var revoked = await RunAsync("apikey", "create", "--name", "Old", "--scopes", "licenses:read");
        var oldId = (await StoreAsync()).Keys.Single(k => k.Name == "Old").Id;
        Assert.Equal(0, (await RunAsync("apikey", "revoke", "--id", oldId.ToString())).ExitCode);

        var result = await RunAsync("apikey", "list");

        Assert.Equal(0, result.ExitCode);
        var lines = Lines(result.StandardOutput);
        Assert.Equal(3, lines.Length);
        Assert.Matches("^ID +IDENTIFIER +NAME +SCOPES +CREATED +CREATED BY +EXPIRES +LAST USED +FROM +PER MINUTE +STATE$", lines[0]);
        Assert.Matches(@"^[0-9a-f-]{36} +crk_[0-9A-Za-z]{8} +Old +licenses:read +\d{4}-\d\d-\d\d \d\d:\d\d UTC +cli +\d{4}-\d\d-\d\d \d\d:\d\d UTC +never +- +600 +revoked$", lines[1]);
        Assert.Matches(@" Bastion +audit:read,users:read .* active$", lines[2]);
        foreach (var key in new[] { Lines(active.StandardOutput)[^1], Lines(revoked.StandardOutput)[^1] })
        {
            Assert.DoesNotContain(key[12..], result.StandardOutput, StringComparison.Ordinal);
        }
    }
}
