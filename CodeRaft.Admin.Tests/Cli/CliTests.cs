using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary>The CLI of the real binary: routing, help, exit codes 0/1/2, one-sentence errors, master-secret rotation.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string?> Environment(string? secret, params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Storage__DataDirectory"] = _work.Combine("data"),
            ["CODERAFT_MASTER_SECRET"] = secret,
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    [Fact]
    public async Task Help_ListsCommandsAndExitsZero()
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(null), "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("keys", result.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("data")));
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData("keys", "no-such-subcommand")]
    [InlineData("keys", "rotate-master-secret", "--bogus-option")]
    public async Task Run_BadUsage_OneSentenceExitTwo(params string[] args)
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(TestSecrets.NewMasterSecret()), args);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.EndsWith("Run with --help for usage.", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("data")));
    }

    [Fact]
    public async Task RotateMasterSecret_NoNewSecret_ExitTwoNothingCreated()
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(TestSecrets.NewMasterSecret()), "keys", "rotate-master-secret");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("Set CODERAFT_NEW_MASTER_SECRET to the new master secret.", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_work.Combine("data")));
    }

    [Fact]
    public async Task RotateMasterSecret_FromConfiguredSecret_OldSecretRefusedNewSecretStarts()
    {
        var oldSecret = TestSecrets.NewMasterSecret();
        var newSecret = TestSecrets.NewMasterSecret();

        var rotate = await AppProcess.RunAsync(_work.Path, Environment(oldSecret, ("CODERAFT_NEW_MASTER_SECRET", newSecret)), "keys", "rotate-master-secret");
        Assert.Equal(0, rotate.ExitCode);
        Assert.Contains("Re-wrapped 1 data key(s)", rotate.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(newSecret, rotate.StandardOutput + rotate.StandardError, StringComparison.Ordinal);

        var withOld = await AppProcess.RunAsync(_work.Path, Environment(oldSecret, ("CODERAFT_NEW_MASTER_SECRET", TestSecrets.NewMasterSecret())), "keys", "rotate-master-secret");
        Assert.Equal(2, withOld.ExitCode);
        Assert.Contains("master secret does not match", Assert.Single(withOld.ErrorLines), StringComparison.Ordinal);

        var withNew = await AppProcess.RunAsync(_work.Path, Environment(newSecret, ("CODERAFT_NEW_MASTER_SECRET", oldSecret)), "keys", "rotate-master-secret");
        Assert.Equal(0, withNew.ExitCode);
    }

    [Fact]
    public async Task RotateMasterSecret_DevelopmentSecretFile_FileUpdatedAndStillStarts()
    {
        var newSecret = TestSecrets.NewMasterSecret();
        var development = Environment(null, ("ASPNETCORE_ENVIRONMENT", "Development"), ("CODERAFT_NEW_MASTER_SECRET", newSecret));

        var rotate = await AppProcess.RunAsync(_work.Path, development, "keys", "rotate-master-secret");

        Assert.Equal(0, rotate.ExitCode);
        Assert.Equal(newSecret, (await File.ReadAllTextAsync(_work.Combine("data", "master-secret.dev"))).Trim());
        var again = await AppProcess.RunAsync(_work.Path, Environment(null, ("ASPNETCORE_ENVIRONMENT", "Development"), ("CODERAFT_NEW_MASTER_SECRET", TestSecrets.NewMasterSecret())), "keys", "rotate-master-secret");
        Assert.Equal(0, again.ExitCode);
    }
}
