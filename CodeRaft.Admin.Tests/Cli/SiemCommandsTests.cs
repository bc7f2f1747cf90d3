using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Tests.Features.Siem.Management;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary><c>siem list|add|test|remove</c> of the real binary: the console's validation, audited as cli, the token never echoed.</summary>
public sealed class SiemCommandsTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Task<AppProcess.Result> RunAsync(params string[] args) => AppProcess.RunAsync(_work.Path, AppProcess.Environment(DataDirectory, _secret), args);

    private async Task<(List<SiemTarget> Targets, List<AuditEntry> Audit)> StoreAsync()
    {
        await using var store = await TestStore.StartAsync(DataDirectory, _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        return (await db.SiemTargets.AsNoTracking().ToListAsync(),
            await db.AuditEntries.AsNoTracking().Where(e => e.Category == "siem").OrderBy(e => e.Sequence).ToListAsync());
    }

    [Fact]
    public async Task AddListRemove_ValidInput_AuditedAsCliTokenNeverEchoed()
    {
        var token = "8a1e3c2f-6d1b-4e5f-9a0b-1c2d3e4f5a6b";
        var added = await RunAsync("siem", "add", "--name", "Splunk", "--type", "splunk-hec", "--endpoint", "https://splunk.example.com:8088/services/collector/event", "--token", token);
        Assert.Equal(0, added.ExitCode);
        var id = Guid.Parse(added.StandardOutput.Trim().Split('\n')[^1].Trim());
        Assert.DoesNotContain(token, added.StandardOutput + added.StandardError, StringComparison.Ordinal);
        var syslog = await RunAsync("siem", "add", "--name", "rsyslog", "--type", "syslog-tcp", "--endpoint", "127.0.0.1:514", "--format", "cef");
        Assert.Equal(0, syslog.ExitCode);

        var list = await RunAsync("siem", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(id.ToString(), list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("splunk-hec", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:514", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("cef", list.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list.StandardOutput, StringComparison.Ordinal);

        var (targets, _) = await StoreAsync();
        Assert.Equal(token, Assert.Single(targets, t => t.Id == id).Secret);

        Assert.Equal(0, (await RunAsync("siem", "remove", "--id", id.ToString())).ExitCode);
        var missing = await RunAsync("siem", "remove", "--id", id.ToString());
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("No SIEM target has the id", missing.StandardError, StringComparison.Ordinal);

        var (after, audit) = await StoreAsync();
        Assert.Equal("rsyslog", Assert.Single(after).Name);
        Assert.Equal(["siem.target_added", "siem.target_added", "siem.target_removed"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(("cli", "success"), (a.ActorType, a.Outcome)));
        Assert.All(audit, a => Assert.DoesNotContain(token, a.Details, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Add_TokenFromAFile_StoredAndNeverOnTheCommandLine()
    {
        var token = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
        var file = Path.Combine(DataDirectory, "hec.token");
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(file, token + "\n");

        var added = await RunAsync("siem", "add", "--name", "Splunk", "--type", "splunk-hec", "--endpoint", "https://splunk.example.com:8088/", "--token-file", file);
        var both = await RunAsync("siem", "add", "--name", "Two", "--type", "splunk-hec", "--endpoint", "https://splunk.example.com:8088/", "--token", token, "--token-file", file);

        Assert.Equal(0, added.ExitCode);
        Assert.Equal(token, Assert.Single((await StoreAsync()).Targets).Secret);
        Assert.Equal(2, both.ExitCode);
        Assert.Equal("Give the secret with --token or with --token-file, not both.", Assert.Single(both.ErrorLines));
    }

    [Theory]
    [InlineData("syslog-tcp", "siem.example.com:0", null, null, "--endpoint: The port must be a number from 1 to 65535.")]
    [InlineData("syslog", "siem.example.com:514", null, null, "--type: Choose the type")]
    [InlineData("webhook", "http://hooks.example.com/", null, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with https://")]
    [InlineData("webhook", "https://hooks.example.com/", null, "plainXYZ123", "--token: The webhook signing secret must be whsec_")]
    [InlineData("splunk-hec", "https://splunk.example.com/", null, null, "--token: Enter the HEC token")]
    [InlineData("syslog-udp", "siem.example.com:514", "json", null, "--format: Choose the syslog format")]
    [InlineData("syslog-udp", "siem.example.com:514", null, "tokXYZ123", "--token: Syslog targets take no token")]
    public async Task Add_BadInput_ExitsTwoWithOneSentenceAndChangesNothing(string type, string endpoint, string? format, string? token, string expected)
    {
        List<string> args = ["siem", "add", "--name", "bad", "--type", type, "--endpoint", endpoint];
        if (format is not null)
        {
            args.AddRange(["--format", format]);
        }

        if (token is not null)
        {
            args.AddRange(["--token", token]);
        }

        var result = await RunAsync([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StandardError, StringComparison.Ordinal);
        Assert.Single(result.ErrorLines);
        if (token is not null)
        {
            Assert.DoesNotContain(token, result.StandardError, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(DataDirectory, "coderaft-admin.db")) && (await StoreAsync()).Targets.Count > 0);
    }

    [Fact]
    public async Task TestAndRemove_MalformedOrUnknownId_ExitTwo()
    {
        var malformed = await RunAsync("siem", "test", "--id", "nope");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("--id must be the id of a SIEM target", malformed.StandardError, StringComparison.Ordinal);

        var unknown = await RunAsync("siem", "test", "--id", Guid.NewGuid().ToString());
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No SIEM target has the id", unknown.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void WebhookSecretHelper_IsValidForTheValidator() =>
        Assert.StartsWith("whsec_", SiemTargetInputValidatorTests.WebhookSecret(), StringComparison.Ordinal);
}
