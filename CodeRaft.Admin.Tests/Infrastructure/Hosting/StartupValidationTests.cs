using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Infrastructure.Hosting;

/// <summary>
/// Bad configuration, run against the real binary: one clear sentence on stderr, a non-zero exit code, and
/// nothing created (no data directory, no database file, no generated secret).
/// </summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Dictionary<string, string?> Environment(params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Storage__DataDirectory"] = DataDirectory,
            ["CODERAFT_MASTER_SECRET"] = TestSecrets.NewMasterSecret(),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{AppProcess.FreePort()}",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private async Task AssertRefusedAsync(Dictionary<string, string?> environment, string expectedFragment)
    {
        var result = await AppProcess.RunAsync(_work.Path, environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(expectedFragment, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal); // no stack trace
        Assert.False(Directory.Exists(DataDirectory), "the data directory was created although startup was refused");
    }

    [Fact]
    public Task Start_UnknownDatabaseProvider_RefusedWithOneSentence() =>
        AssertRefusedAsync(Environment(("Database__Provider", "Oracle")), "Database:Provider 'Oracle' is not supported; use Sqlite or Postgres.");

    [Fact]
    public Task Start_MalformedSqliteConnectionString_RefusedWithOneSentence() =>
        AssertRefusedAsync(Environment(("ConnectionStrings__Admin", "Data Source=x;Bogus Key=1")), "ConnectionStrings:Admin is not a valid SQLite connection string.");

    [Fact]
    public Task Start_MalformedPostgresConnectionString_RefusedWithOneSentence() =>
        AssertRefusedAsync(Environment(("Database__Provider", "Postgres"), ("ConnectionStrings__Admin", "Host=;;;=nope")), "is not a valid PostgreSQL connection string.");

    [Fact]
    public Task Start_PostgresWithoutConnectionString_RefusedWithOneSentence() =>
        AssertRefusedAsync(Environment(("Database__Provider", "Postgres")), "ConnectionStrings:Admin is not set.");

    [Fact]
    public Task Start_UnreadableSecretFile_RefusedWithOneSentence() =>
        AssertRefusedAsync(
            Environment(("CODERAFT_MASTER_SECRET", null), ("Encryption__MasterSecretFile", _work.Combine("missing-secret"))),
            "cannot be read: it does not exist.");

    [Fact]
    public Task Start_ProductionWithoutSecret_RefusedNamingTheSettings() =>
        AssertRefusedAsync(Environment(("CODERAFT_MASTER_SECRET", null)), "No master secret is configured: set the CODERAFT_MASTER_SECRET environment variable or Encryption:MasterSecretFile");

    [Fact]
    public Task Start_MalformedTrustedProxy_RefusedWithOneSentence() =>
        AssertRefusedAsync(Environment(("Network__TrustedProxies__0", "10.0.0.300/8")), "Network:TrustedProxies entry '10.0.0.300/8': '10.0.0.300/8' is not an IP address or CIDR range; write it like 203.0.113.0/24 or 2001:db8::/32.");

    [Fact]
    public Task Start_TrustedProxyWithHostBits_RefusedNamingTheRange() =>
        AssertRefusedAsync(Environment(("Network__TrustedProxies__0", "10.1.2.3/8")), "Network:TrustedProxies entry '10.1.2.3/8': '10.1.2.3/8' has bits set after the first 8; did you mean 10.0.0.0/8?");

    [Theory]
    [InlineData(null, false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.0/8", true)]
    [InlineData("192.0.2.10", false)]
    public async Task ForwardedProto_OnlyFromTrustedProxy_IsHonoured(string? trustedProxy, bool expectHsts)
    {
        var environment = Environment(("Network__TrustedProxies__0", trustedProxy));
        using var process = AppProcess.Start(_work.Path, environment);
        try
        {
            var baseUrl = new Uri(environment["ASPNETCORE_URLS"]!);
            await AppProcess.WaitUntilReadyAsync(process, new Uri(baseUrl, "/readyz"), TimeSpan.FromSeconds(60));
            using var client = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, "/healthz"));
            request.Headers.Host = "portal.example.test";
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            using var response = await client.SendAsync(request);

            // HSTS is only sent on HTTPS: it appears exactly when the forwarded scheme was believed.
            Assert.Equal(expectHsts, response.Headers.Contains("Strict-Transport-Security"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Start_UnknownAuthenticationMode_RefusedWithOneSentence()
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(("Authentication__Mode", "Kerberos")));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Authentication:Mode", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public Task Start_ShortSecret_Refused() =>
        AssertRefusedAsync(Environment(("CODERAFT_MASTER_SECRET", "short")), "too short");

    [Fact]
    public async Task Start_UnwritableDataDirectory_RefusedWithOneSentence()
    {
        // We run as root, so permissions do not stop us: a data directory below a regular file cannot be created.
        var blocker = _work.Combine("a-file");
        await File.WriteAllTextAsync(blocker, "not a directory");
        var result = await AppProcess.RunAsync(_work.Path, Environment(("Storage__DataDirectory", Path.Combine(blocker, "data"))));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not writable by this process", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DevelopmentWithoutSecret_GeneratesPrivateDevSecretAndWarns()
    {
        var environment = Environment(("CODERAFT_MASTER_SECRET", null), ("ASPNETCORE_ENVIRONMENT", "Development"));
        using var process = AppProcess.Start(_work.Path, environment);
        try
        {
            await AppProcess.WaitUntilReadyAsync(process, new Uri(environment["ASPNETCORE_URLS"]! + "/readyz"), TimeSpan.FromSeconds(60));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var secretFile = Path.Combine(DataDirectory, "master-secret.dev");
        Assert.True(File.Exists(secretFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        var output = await process.StandardOutput.ReadToEndAsync();
        Assert.Contains("DEVELOPMENT MASTER SECRET GENERATED", output, StringComparison.Ordinal);
        Assert.DoesNotContain((await File.ReadAllTextAsync(secretFile)).Trim(), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WrongSecretForExistingDatabase_RefusedAndDatabaseUnchanged()
    {
        var first = Environment();
        using (var process = AppProcess.Start(_work.Path, first))
        {
            try
            {
                await AppProcess.WaitUntilReadyAsync(process, new Uri(first["ASPNETCORE_URLS"]! + "/readyz"), TimeSpan.FromSeconds(60));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        // Fold the WAL of the killed process into the main file first, so the comparison sees only new writes.
        var database = Path.Combine(DataDirectory, "coderaft-admin.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var checkpoint = new Microsoft.Data.Sqlite.SqliteCommand("PRAGMA wal_checkpoint(TRUNCATE)", connection);
            await checkpoint.ExecuteNonQueryAsync();
        }

        var before = await File.ReadAllBytesAsync(database);
        var result = await AppProcess.RunAsync(_work.Path, Environment());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("master secret does not match", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(database));
    }
}
